//! Policy as code: a baseline file of wanted values, and the plan that would make a
//! service match it. Parsing and planning are pure; the binary reads and applies.
//!
//! ```json
//! { "policyId": "AllowSelfServicePurchase", "default": "Disabled",
//!   "products": { "CFQ7TTC0H9MP": "Enabled" } }
//! ```
//! A file holds one such object, or a list of them (one per policy).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{PolicyId, PolicyValue, ProductId, Target, TargetPolicy};

/// The wanted values of one policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyBaseline {
    /// The JSON Schema an editor validates the file with; ignored here.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub policy_id: PolicyId,
    /// The value of every product not pinned in `products`, including products that appear
    /// later. Without it, such products are left alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<PolicyValue>,
    /// Values pinned by product id.
    #[serde(default, deserialize_with = "unique_products")]
    pub products: BTreeMap<ProductId, PolicyValue>,
}

/// A whole baseline file: one or more policies.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub policies: Vec<PolicyBaseline>,
}

/// Why a baseline was refused, with where in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BaselineError {
    pub message: String,
}

impl Baseline {
    /// Parses a baseline file's text; errors name the line and column.
    pub fn parse(text: &str) -> Result<Self, BaselineError> {
        let fail = |e: serde_json::Error| BaselineError { message: describe_json_error(&e) };
        let policies = if text.trim_start().starts_with('[') {
            serde_json::from_str::<Vec<PolicyBaseline>>(text).map_err(fail)?
        } else {
            vec![serde_json::from_str::<PolicyBaseline>(text).map_err(fail)?]
        };
        if policies.is_empty() {
            return Err(BaselineError { message: "the baseline lists no policy".into() });
        }
        for (i, p) in policies.iter().enumerate() {
            if policies[..i].iter().any(|q| q.policy_id.as_str().eq_ignore_ascii_case(p.policy_id.as_str())) {
                return Err(BaselineError {
                    message: format!("policy {} appears twice{}", p.policy_id, locate(text, p.policy_id.as_str())),
                });
            }
        }
        Ok(Self { policies })
    }

    /// The file's text for these policies: one object, or a list when there are several.
    pub fn to_json(&self) -> String {
        let text = match self.policies.as_slice() {
            [one] => serde_json::to_string_pretty(one),
            many => serde_json::to_string_pretty(many),
        };
        text.unwrap_or_default() + "\n"
    }
}

fn describe_json_error(e: &serde_json::Error) -> String {
    // serde_json ends its messages with "at line L column C"; keep that, drop the noise.
    let text = e.to_string();
    match e.classify() {
        serde_json::error::Category::Eof => format!("the file ends too early (line {})", e.line()),
        _ => text,
    }
}

/// " (line N)" for the first place `needle` appears quoted in `text`, for messages about
/// values that parsed but were refused later.
pub fn locate(text: &str, needle: &str) -> String {
    let quoted = format!("\"{needle}\"");
    let at = text.find(&quoted).or_else(|| text.to_ascii_uppercase().find(&quoted.to_ascii_uppercase()));
    at.map(|i| format!(" (line {})", text[..i].lines().count().max(1) + usize::from(text[..i].ends_with('\n'))))
        .unwrap_or_default()
}

/// Deserializes `products`, refusing an id pinned twice (a JSON object may repeat keys;
/// silently keeping the last would hide a mistake).
fn unique_products<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<ProductId, PolicyValue>, D::Error> {
    struct Unique;
    impl<'de> Visitor<'de> for Unique {
        type Value = BTreeMap<ProductId, PolicyValue>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object of product ids to policy values")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut products = BTreeMap::new();
            while let Some((id, value)) = map.next_entry::<ProductId, PolicyValue>()? {
                if products.insert(id.clone(), value).is_some() {
                    return Err(serde::de::Error::custom(format!("product {id} is pinned twice")));
                }
            }
            Ok(products)
        }
    }
    d.deserialize_map(Unique)
}

/// Why a product has the value it should have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// Named in `products`.
    Pinned,
    /// Covered by `default`.
    Default,
}

/// One product's wanted value against its current one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProductCheck {
    pub policy_id: PolicyId,
    pub product_id: ProductId,
    pub product_name: String,
    /// The value the service had when planned.
    #[serde(rename = "CurrentValue")]
    pub before: PolicyValue,
    /// The value the baseline wants.
    #[serde(rename = "WantedValue")]
    pub after: PolicyValue,
    pub source: Source,
}

impl ProductCheck {
    pub fn drifted(&self) -> bool {
        self.before != self.after
    }
}

/// Refuses pins that name one product twice: a former id beside its current id, or two
/// former ids of one product. Which value should win is not for the tool to guess. `pinned`
/// maps each pinned id to the product the service answers for it; `text` is the file, so
/// the message names the line of the later id.
pub fn pinned_twice(pinned: &BTreeMap<ProductId, Option<TargetPolicy>>, text: &str) -> Result<(), String> {
    let mut by_product: BTreeMap<&ProductId, Vec<&ProductId>> = BTreeMap::new();
    for (id, found) in pinned {
        if let Some(Target::Product(current)) = found.as_ref().map(|p| &p.target) {
            by_product.entry(current).or_default().push(id);
        }
    }
    let refusals: Vec<String> = by_product
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(current, ids)| {
            let former: Vec<&str> = ids.iter().filter(|id| **id != current).map(|id| id.as_str()).collect();
            let why = match former.as_slice() {
                [one] => format!("{one} is the former id of {current}"),
                many => format!("{} are former ids of {current}", many.join(" and ")),
            };
            let line = ids.iter().map(|id| locate_line(text, id.as_str())).max().flatten();
            let at = line.map(|n| format!(" (line {n})")).unwrap_or_default();
            format!("product {current} is pinned twice ({why}){at}")
        })
        .collect();
    if refusals.is_empty() { Ok(()) } else { Err(refusals.join("; ")) }
}

/// The line of the first place `needle` appears quoted in `text`.
fn locate_line(text: &str, needle: &str) -> Option<usize> {
    locate(text, needle).trim_start_matches(" (line ").trim_end_matches(')').parse().ok()
}

/// Compares one policy's baseline with the values the service lists. `pinned` maps each
/// pinned id (as written, maybe a former id) to the product the service answers for it, or
/// `None` when the service does not know it. Returns a check per product the baseline
/// covers, in the service's order; other targets (offer types) are not a baseline's.
pub fn check(
    baseline: &PolicyBaseline,
    listed: &[TargetPolicy],
    pinned: &BTreeMap<ProductId, Option<TargetPolicy>>,
) -> Vec<ProductCheck> {
    let product_id = |p: &TargetPolicy| match &p.target {
        Target::Product(id) => Some(id.clone()),
        Target::OfferType(_) => None,
    };
    let mut wanted: BTreeMap<ProductId, (PolicyValue, Source)> = BTreeMap::new();
    for (id, value) in &baseline.products {
        if let Some(current) = pinned.get(id).and_then(|p| p.as_ref()).and_then(product_id) {
            wanted.insert(current, (*value, Source::Pinned));
        }
    }
    let mut checks: Vec<ProductCheck> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for product in listed.iter().chain(pinned.values().flatten()) {
        let Some(id) = product_id(product) else { continue };
        if !seen.insert(id.clone()) {
            continue;
        }
        let rule = wanted.get(&id).copied().or(baseline.default.map(|d| (d, Source::Default)));
        if let Some((value, source)) = rule {
            checks.push(ProductCheck {
                policy_id: baseline.policy_id.clone(),
                product_id: id,
                product_name: product.name.clone(),
                before: product.value,
                after: value,
                source,
            });
        }
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: &str, name: &str, value: PolicyValue) -> TargetPolicy {
        TargetPolicy {
            policy_id: "AllowSelfServicePurchase".parse().unwrap(),
            target: Target::Product(id.parse().unwrap()),
            name: name.into(),
            value,
        }
    }

    #[test]
    fn parses_one_policy_or_a_list() {
        let one =
            r#"{"policyId":"AllowSelfServicePurchase","default":"disabled","products":{"cfq7ttc0h9mp":"Enabled"}}"#;
        let b = Baseline::parse(one).unwrap();
        assert_eq!(b.policies[0].default, Some(PolicyValue::Disabled));
        assert_eq!(b.policies[0].products.keys().next().unwrap().as_str(), "CFQ7TTC0H9MP");
        let many = format!("[{one}, {}]", one.replace("AllowSelfServicePurchase", "OtherPolicy"));
        assert_eq!(Baseline::parse(&many).unwrap().policies.len(), 2);
    }

    #[test]
    fn errors_point_at_the_place() {
        let cases = [
            ("{\"policyId\":\"AllowSelfServicePurchase\",\n \"prodcts\":{}}", "unknown field `prodcts`", "line 2"),
            (
                "{\"policyId\":\"AllowSelfServicePurchase\",\n \"default\":\"Sometimes\"}",
                "'Sometimes' is not a policy value",
                "line 2",
            ),
            (
                "{\"policyId\":\"AllowSelfServicePurchase\",\n\"products\":{\n\"CFQ7\":\"Enabled\"}}",
                "'CFQ7' is not a product id",
                "line 3",
            ),
            (
                "{\"policyId\":\"A\",\"products\":{\"CFQ7TTC0H9MP\":\"Enabled\",\n\"CFQ7TTC0H9MP\":\"Disabled\"}}",
                "CFQ7TTC0H9MP is pinned twice",
                "line 2",
            ),
            ("{\"policyId\":\"A\",", "ends too early", "line 1"),
            ("{\"products\":{}}", "missing field `policyId`", "line 1"),
        ];
        for (text, what, place) in cases {
            let err = Baseline::parse(text).unwrap_err().to_string();
            assert!(err.contains(what) && err.contains(place), "{text:?} gave {err:?}");
        }
    }

    #[test]
    fn locate_finds_the_line_of_a_value() {
        let text = "{\n  \"products\": {\n    \"CFQ7TTC0H9MP\": \"Enabled\"\n  }\n}";
        assert_eq!(locate(text, "CFQ7TTC0H9MP"), " (line 3)");
        assert_eq!(locate(text, "cfq7ttc0h9mp"), " (line 3)");
        assert_eq!(locate(text, "nowhere"), "");
    }

    #[test]
    fn pinned_wins_default_covers_the_rest_and_unlisted_are_left_alone() {
        let b = Baseline::parse(
            r#"{"policyId":"AllowSelfServicePurchase","default":"Disabled","products":{"CFQ7TTC0H9MP":"Enabled"}}"#,
        )
        .unwrap();
        let listed = vec![
            product("CFQ7TTC0H9MP", "Power BI Pro", PolicyValue::Enabled),
            product("CFQ7TTC0HD32", "Visio Plan 2", PolicyValue::Enabled),
        ];
        let pinned = BTreeMap::from([("CFQ7TTC0H9MP".parse().unwrap(), Some(listed[0].clone()))]);
        let checks = check(&b.policies[0], &listed, &pinned);
        assert_eq!(checks.len(), 2);
        assert!(!checks[0].drifted());
        assert_eq!(checks[0].source, Source::Pinned);
        assert!(checks[1].drifted());
        assert_eq!(checks[1].source, Source::Default);

        let no_default =
            Baseline::parse(r#"{"policyId":"AllowSelfServicePurchase","products":{"CFQ7TTC0H9MP":"Disabled"}}"#)
                .unwrap();
        let checks = check(&no_default.policies[0], &listed, &pinned);
        assert_eq!(checks.len(), 1, "a product with neither a pin nor a default is left alone");
    }

    #[test]
    fn a_former_id_pins_the_current_product() {
        let b = Baseline::parse(r#"{"policyId":"AllowSelfServicePurchase","products":{"CFQ7TTC0L3PB":"Disabled"}}"#)
            .unwrap();
        let listed = vec![product("CFQ7TTC0H9MP", "Power BI Pro", PolicyValue::Enabled)];
        let pinned = BTreeMap::from([("CFQ7TTC0L3PB".parse().unwrap(), Some(listed[0].clone()))]);
        let checks = check(&b.policies[0], &listed, &pinned);
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].product_id.as_str(), "CFQ7TTC0H9MP");
        assert_eq!(checks[0].after, PolicyValue::Disabled);
    }

    #[test]
    fn a_product_pinned_under_its_former_and_current_id_is_refused_with_the_line() {
        let text = "{\"policyId\":\"AllowSelfServicePurchase\",\"products\":{\n\"CFQ7TTC0H9MP\":\"Enabled\",\n\"CFQ7TTC0L3PB\":\"Disabled\"}}";
        let pro = product("CFQ7TTC0H9MP", "Power BI Pro", PolicyValue::Enabled);
        let mut pinned = BTreeMap::from([
            ("CFQ7TTC0H9MP".parse().unwrap(), Some(pro.clone())),
            ("CFQ7TTC0L3PB".parse().unwrap(), Some(pro.clone())),
        ]);
        assert_eq!(
            pinned_twice(&pinned, text).unwrap_err(),
            "product CFQ7TTC0H9MP is pinned twice (CFQ7TTC0L3PB is the former id of CFQ7TTC0H9MP) (line 3)"
        );
        pinned.remove(&"CFQ7TTC0H9MP".parse().unwrap());
        pinned.insert("TEST00000001".parse().unwrap(), None);
        assert_eq!(pinned_twice(&pinned, text), Ok(()), "one pin per product, unknown ids aside");
    }

    #[test]
    fn round_trips_through_its_text() {
        let text =
            r#"{"policyId":"AllowSelfServicePurchase","default":"Disabled","products":{"CFQ7TTC0H9MP":"Enabled"}}"#;
        let b = Baseline::parse(text).unwrap();
        assert_eq!(Baseline::parse(&b.to_json()).unwrap(), b);
    }
}

/// The published JSON Schema (docs/baseline.schema.json) must describe exactly the fields
/// this module reads, or editors would accept files `plan` refuses.
#[cfg(test)]
mod schema_tests {
    const SCHEMA: &str = include_str!("../../../docs/baseline.schema.json");

    #[test]
    fn schema_lists_the_fields_the_parser_reads() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
        let def = &schema["$defs"]["policyBaseline"];
        let mut fields: Vec<&str> = def["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["$schema", "default", "policyId", "products"]);
        assert_eq!(def["additionalProperties"], false);
        let values: Vec<&str> =
            schema["$defs"]["policyValue"]["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let ours: Vec<&str> = crate::PolicyValue::ALL.iter().map(|v| v.as_str()).collect();
        assert_eq!(values, ours);
    }

    #[test]
    fn schema_example_is_a_valid_baseline() {
        let example = r#"{"$schema": "https://commerce-policy.dev/schemas/baseline.schema.json",
            "policyId": "AllowSelfServicePurchase", "default": "Disabled", "products": {"CFQ7TTC0H9MP": "Enabled"}}"#;
        assert!(super::Baseline::parse(example).is_ok());
    }
}
