//! The values of `AllowSelfServicePurchase`: parsed case-insensitively, written exactly.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use crate::ModelError;

/// Whether users may buy a product themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum PolicyValue {
    Enabled,
    Disabled,
    /// Users may start a trial that needs no payment method, and buy nothing.
    OnlyTrialsWithoutPaymentMethod,
}

impl PolicyValue {
    pub const ALL: [PolicyValue; 3] = [Self::Enabled, Self::Disabled, Self::OnlyTrialsWithoutPaymentMethod];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Disabled => "Disabled",
            Self::OnlyTrialsWithoutPaymentMethod => "OnlyTrialsWithoutPaymentMethod",
        }
    }

    /// MSCommerce's `-Enabled $true/$false` toggle.
    pub fn from_enabled(enabled: bool) -> Self {
        if enabled { Self::Enabled } else { Self::Disabled }
    }
}

impl fmt::Display for PolicyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PolicyValue {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ModelError::PolicyValue(s.escape_debug().to_string()))
    }
}

impl<'de> Deserialize<'de> for PolicyValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_case_and_writes_exactly() {
        for (input, want) in [
            ("enabled", PolicyValue::Enabled),
            ("DISABLED", PolicyValue::Disabled),
            ("onlytrialswithoutpaymentmethod", PolicyValue::OnlyTrialsWithoutPaymentMethod),
        ] {
            let v: PolicyValue = input.parse().unwrap();
            assert_eq!(v, want);
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{}\"", want.as_str()));
        }
    }

    #[test]
    fn unknown_value_names_the_allowed_ones() {
        let err = "Maybe".parse::<PolicyValue>().unwrap_err().to_string();
        assert_eq!(err, "'Maybe' is not a policy value: use Enabled, Disabled or OnlyTrialsWithoutPaymentMethod");
    }

    #[test]
    fn toggle_maps_to_enabled_or_disabled() {
        assert_eq!(PolicyValue::from_enabled(true), PolicyValue::Enabled);
        assert_eq!(PolicyValue::from_enabled(false), PolicyValue::Disabled);
    }
}
