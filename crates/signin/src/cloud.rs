//! Microsoft's clouds: where each signs in and where its licensing service answers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A Microsoft cloud (Entra ID's "national clouds").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Cloud {
    /// Microsoft 365 worldwide (commercial, GCC).
    Worldwide,
    /// US Government GCC High.
    UsGovHigh,
    /// US Government DoD.
    UsGovDod,
    /// Microsoft 365 operated by 21Vianet (China).
    China,
}

impl Cloud {
    pub const ALL: [Cloud; 4] = [Cloud::Worldwide, Cloud::UsGovHigh, Cloud::UsGovDod, Cloud::China];

    /// The Entra ID sign-in host.
    pub fn authority(self) -> &'static str {
        match self {
            Cloud::Worldwide => "https://login.microsoftonline.com",
            Cloud::UsGovHigh | Cloud::UsGovDod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.partner.microsoftonline.cn",
        }
    }

    /// The licensing service of this cloud. Only the worldwide host is documented for
    /// MSCommerce; the others follow each cloud's Microsoft 365 naming and can be
    /// overridden with `--endpoint`.
    pub fn licensing_endpoint(self) -> &'static str {
        match self {
            Cloud::Worldwide => "https://licensing.m365.microsoft.com",
            Cloud::UsGovHigh => "https://licensing.m365.microsoft.us",
            Cloud::UsGovDod => "https://licensing.dod.m365.microsoft.us",
            Cloud::China => "https://licensing.m365.microsoftonline.cn",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Cloud::Worldwide => "worldwide",
            Cloud::UsGovHigh => "usgov-high",
            Cloud::UsGovDod => "usgov-dod",
            Cloud::China => "china",
        }
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Cloud {
    type Err = String;

    /// Our names, and the names Azure tools use (`AzureCloud`, `AzureUSGovernment`, …).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        match key.as_str() {
            "worldwide" | "global" | "commercial" | "azurecloud" | "gcc" => Ok(Cloud::Worldwide),
            "usgovhigh" | "gcchigh" | "usgov" | "azureusgovernment" => Ok(Cloud::UsGovHigh),
            "usgovdod" | "dod" => Ok(Cloud::UsGovDod),
            "china" | "21vianet" | "azurechinacloud" => Ok(Cloud::China),
            _ => Err(format!("'{}' is not a cloud: use worldwide, usgov-high, usgov-dod or china", s.escape_debug())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_azure_names_parse() {
        for cloud in Cloud::ALL {
            assert_eq!(cloud.name().parse::<Cloud>(), Ok(cloud));
        }
        assert_eq!("AzureUSGovernment".parse::<Cloud>(), Ok(Cloud::UsGovHigh));
        assert_eq!("AzureChinaCloud".parse::<Cloud>(), Ok(Cloud::China));
        assert!("mars".parse::<Cloud>().unwrap_err().contains("usgov-high"));
    }
}
