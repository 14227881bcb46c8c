//! Friendly product names for Graph's SKU ids, from Microsoft's published table "Product names
//! and service plan identifiers for licensing" (catalog/graph-skus.csv names its source, its
//! date and how much of it is shipped). The full table Microsoft publishes as CSV has the
//! same columns and can be given instead (`COMMERCE_POLICY_SKU_NAMES`). A SKU the table
//! does not know shows its part number.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::GraphError;

/// The shipped table: a header row, then one row per SKU (lines starting `#` are notes).
const SHIPPED: &str = include_str!("../../../catalog/graph-skus.csv");

/// One row of Microsoft's table.
#[derive(Debug, Clone, Deserialize)]
pub struct SkuName {
    #[serde(rename = "Product_Display_Name")]
    pub product_name: String,
    #[serde(rename = "String_Id")]
    pub part_number: String,
    #[serde(rename = "GUID")]
    pub sku_id: String,
}

/// SKU id → product name.
#[derive(Debug, Clone)]
pub struct SkuNames {
    by_id: HashMap<String, SkuName>,
}

impl SkuNames {
    /// The shipped table.
    pub fn shipped() -> Self {
        Self::parse(SHIPPED).unwrap_or_else(|_| Self { by_id: HashMap::new() })
    }

    /// Microsoft's full table, downloaded by the admin (one row per service plan; the
    /// product columns repeat, and the first row of each SKU is kept).
    pub fn from_file(path: &Path) -> Result<Self, GraphError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| GraphError::Config(format!("could not read the SKU name table {}: {e}", path.display())))?;
        Self::parse(text.trim_start_matches('\u{feff}'))
            .map_err(|e| GraphError::Config(format!("{} is not Microsoft's SKU name table: {e}", path.display())))
    }

    fn parse(text: &str) -> Result<Self, csv::Error> {
        let mut reader = csv::ReaderBuilder::new().comment(Some(b'#')).flexible(true).from_reader(text.as_bytes());
        let mut by_id = HashMap::new();
        for row in reader.deserialize::<SkuName>() {
            let row = row?;
            by_id.entry(row.sku_id.to_ascii_lowercase()).or_insert(row);
        }
        Ok(Self { by_id })
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The product's friendly name, or `None` when the table does not know the SKU.
    pub fn name(&self, sku_id: &str) -> Option<&str> {
        self.by_id.get(&sku_id.to_ascii_lowercase()).map(|r| r.product_name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_names_power_bi_pro() {
        let names = SkuNames::shipped();
        assert!(names.len() >= 10, "{}", names.len());
        assert_eq!(names.name("F8A1DB68-BE16-40ED-86D5-CB42CE701560"), Some("Power BI Pro"));
        assert_eq!(names.name("00000000-0000-0000-0000-000000000000"), None);
    }

    #[test]
    fn microsofts_full_table_keeps_one_row_per_sku() {
        let text = "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id\n\
                    \"Visio Plan 2\",VISIOCLIENT,c5928f49-12ba-48f7-ada3-0d743a3601d5,ONEDRIVE_BASIC,da792a53\n\
                    \"Visio Plan 2\",VISIOCLIENT,c5928f49-12ba-48f7-ada3-0d743a3601d5,VISIOONLINE,2bdbaf8f\n";
        let names = SkuNames::parse(text).unwrap();
        assert_eq!(names.len(), 1);
        assert_eq!(names.name("c5928f49-12ba-48f7-ada3-0d743a3601d5"), Some("Visio Plan 2"));
    }
}
