//! The values of `AllowSelfServicePurchase`: parsed case-insensitively, written exactly.

use serde::Serialize;

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

/// `Display`, `FromStr` (trimmed, any case) and `Deserialize` for an enum of names with
/// `ALL` and `as_str`, refused with the `ModelError` variant given.
macro_rules! named_values {
    ($ty:ident, $err:ident) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::ModelError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim();
                Self::ALL
                    .into_iter()
                    .find(|v| v.as_str().eq_ignore_ascii_case(wanted))
                    .ok_or_else(|| $crate::ModelError::$err(s.escape_debug().to_string()))
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use named_values;

named_values!(PolicyValue, PolicyValue);

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
