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

    /// The licensing service of this cloud: the one host in every cloud. Microsoft names no
    /// other; MSCloudLoginAssistant (`WorkloadEndpoints.psd1`) sends the licensing workload
    /// there in every environment and changes only the sign-in authority, and self-service
    /// purchase is not offered to government customers (Microsoft's FAQ). docs/sign-in.md.
    pub fn licensing_endpoint(self) -> &'static str {
        "https://licensing.m365.microsoft.com"
    }

    /// Microsoft Graph in this cloud (Microsoft's "National cloud deployments" page), which
    /// is also the resource Graph tokens are asked for (`<host>/.default`).
    pub fn graph_endpoint(self) -> &'static str {
        match self {
            Cloud::Worldwide => "https://graph.microsoft.com",
            Cloud::UsGovHigh => "https://graph.microsoft.us",
            Cloud::UsGovDod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
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

    #[test]
    fn every_cloud_uses_the_one_licensing_host_and_its_own_authority() {
        for cloud in Cloud::ALL {
            assert_eq!(cloud.licensing_endpoint(), "https://licensing.m365.microsoft.com", "{cloud}");
        }
        assert_eq!(Cloud::UsGovHigh.authority(), "https://login.microsoftonline.us");
        assert_eq!(Cloud::UsGovDod.authority(), "https://login.microsoftonline.us");
        assert_eq!(Cloud::China.authority(), "https://login.partner.microsoftonline.cn");
    }

    #[test]
    fn every_cloud_has_its_own_graph_host() {
        assert_eq!(Cloud::Worldwide.graph_endpoint(), "https://graph.microsoft.com");
        assert_eq!(Cloud::UsGovHigh.graph_endpoint(), "https://graph.microsoft.us");
        assert_eq!(Cloud::UsGovDod.graph_endpoint(), "https://dod-graph.microsoft.us");
        assert_eq!(Cloud::China.graph_endpoint(), "https://microsoftgraph.chinacloudapi.cn");
    }
}
