//! Identifiers: product ids (`CFQ7TTC0L3PB`), policy ids (`AllowSelfServicePurchase`) and
//! offer types. Each parses from user input and from the wire through one validating path.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use crate::ModelError;

/// A product's id in Microsoft's catalogue: 12 upper-case letters and digits.
/// Lower-case input is accepted and upper-cased, because ids are copied by hand.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "CFQ7TTC0L3PB")]
pub struct ProductId(String);

impl ProductId {
    pub const LEN: usize = 12;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ProductId {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = s.trim().to_ascii_uppercase();
        let valid = id.len() == Self::LEN && id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if valid { Ok(Self(id)) } else { Err(ModelError::ProductId(s.escape_debug().to_string())) }
    }
}

/// A policy's name, like `AllowSelfServicePurchase`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "AllowSelfServicePurchase")]
pub struct PolicyId(String);

/// An offer type a policy can be scoped to, like `SaaS`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, example = "SaaS")]
pub struct OfferType(String);

/// A name of 1 to 64 ASCII letters and digits.
fn is_name(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

macro_rules! name_id {
    ($ty:ident, $err:ident) => {
        impl $ty {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $ty {
            type Err = ModelError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let name = s.trim();
                if is_name(name) {
                    Ok(Self(name.to_string()))
                } else {
                    Err(ModelError::$err(s.escape_debug().to_string()))
                }
            }
        }
    };
}

name_id!(PolicyId, PolicyId);
name_id!(OfferType, OfferType);

macro_rules! display_and_deserialize {
    ($($ty:ident),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}

display_and_deserialize!(ProductId, PolicyId, OfferType);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_id_accepts_twelve_letters_and_digits() {
        let id: ProductId = "CFQ7TTC0L3PB".parse().unwrap();
        assert_eq!(id.as_str(), "CFQ7TTC0L3PB");
    }

    #[test]
    fn product_id_upper_cases_what_was_typed() {
        let id: ProductId = " cfq7ttc0l3pb ".parse().unwrap();
        assert_eq!(id.to_string(), "CFQ7TTC0L3PB");
    }

    #[test]
    fn product_id_refuses_wrong_length_and_symbols() {
        for bad in ["", "CFQ7TTC0L3P", "CFQ7TTC0L3PBX", "CFQ7TTC0L3P-", "CFQ7TTC0L3PÉ"] {
            let err = bad.parse::<ProductId>().unwrap_err();
            assert!(err.to_string().contains("12 upper-case letters and digits"), "{bad}");
        }
    }

    #[test]
    fn policy_id_refuses_paths_and_blanks() {
        assert!("AllowSelfServicePurchase".parse::<PolicyId>().is_ok());
        for bad in ["", "Allow/Self", "../etc", "a b"] {
            assert!(bad.parse::<PolicyId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_show_control_characters_escaped() {
        let err = "\u{84}\n".parse::<PolicyId>().unwrap_err().to_string();
        assert!(err.starts_with("'\\u{84}\\n' is not a policy id"), "{err}");
    }

    #[test]
    fn ids_deserialize_through_validation() {
        let err = serde_json::from_str::<ProductId>("\"nope\"").unwrap_err();
        assert!(err.to_string().contains("'nope' is not a product id"));
        let id: ProductId = serde_json::from_str("\"cfq7ttc0kp0n\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"CFQ7TTC0KP0N\"");
    }
}
