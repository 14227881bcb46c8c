//! Policy as code: a baseline file of wanted values, and the plan that would make a
//! service match it. Parsing and planning are pure; the binary reads and applies.
//!
//! ```json
//! { "policyId": "AllowSelfServicePurchase", "default": "Disabled",
//!   "products": { "CFQ7TTC0H9MP": "Enabled" }, "offerTypes": { "SaaS": "Disabled" } }
//! ```
//! A file holds one such object, or a list of them (one per policy). `offerTypes` is
//! optional: a baseline without it (every file written before it existed) leaves offer
//! types alone.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::{OfferType, PolicyId, PolicyValue, ProductId, Target, TargetPolicy};

mod check;
pub use check::TargetCheck;

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
    /// Values of third-party offer types (like `SaaS`), by offer type. `default` does not
    /// cover them: an offer type not named here is left alone, and so are all of them when
    /// the field is absent.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty", deserialize_with = "unique_offer_types")]
    pub offer_types: BTreeMap<OfferType, PolicyValue>,
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
    d.deserialize_map(Unique { what: "product", ids: "product ids", key: |id: &ProductId| id.to_string() })
}

/// Deserializes `offerTypes`, refusing an offer type named twice, in any case (services
/// match offer types without regard to case).
fn unique_offer_types<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<OfferType, PolicyValue>, D::Error> {
    let key = |offer: &OfferType| offer.as_str().to_ascii_lowercase();
    d.deserialize_map(Unique { what: "offer type", ids: "offer types", key })
}

/// A map of ids to policy values in which no id appears twice (`key` says when two are one).
struct Unique<K> {
    what: &'static str,
    ids: &'static str,
    key: fn(&K) -> String,
}

impl<'de, K: Deserialize<'de> + Ord + fmt::Display> Visitor<'de> for Unique<K> {
    type Value = BTreeMap<K, PolicyValue>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object of {} to policy values", self.ids)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pinned: BTreeMap<K, PolicyValue> = BTreeMap::new();
        let mut seen = std::collections::HashSet::new();
        while let Some((id, value)) = map.next_entry::<K, PolicyValue>()? {
            if !seen.insert((self.key)(&id)) {
                return Err(serde::de::Error::custom(format!("{} {id} is pinned twice", self.what)));
            }
            pinned.insert(id, value);
        }
        Ok(pinned)
    }
}

/// Why a product has the value it should have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// Named in `products`.
    Pinned,
    /// Covered by `default`.
    Default,
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
/// covers, in the service's order; offer types are [`check_offer_types`]'.
pub fn check(
    baseline: &PolicyBaseline,
    listed: &[TargetPolicy],
    pinned: &BTreeMap<ProductId, Option<TargetPolicy>>,
) -> Vec<TargetCheck> {
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
    let mut checks: Vec<TargetCheck> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for product in listed.iter().chain(pinned.values().flatten()) {
        let Some(id) = product_id(product) else { continue };
        if !seen.insert(id.clone()) {
            continue;
        }
        let rule = wanted.get(&id).copied().or(baseline.default.map(|d| (d, Source::Default)));
        if let Some((value, source)) = rule {
            checks.push(TargetCheck {
                policy_id: baseline.policy_id.clone(),
                target: Target::Product(id),
                name: product.name.clone(),
                before: product.value,
                after: value,
                source,
            });
        }
    }
    checks
}

/// Compares the offer types a baseline names with the offer types the service lists
/// (matched without regard to case, written as the service spells them). An offer type the
/// service does not list is returned as unknown: it is a typo, or a service without it.
pub fn check_offer_types(
    baseline: &PolicyBaseline,
    listed: &[TargetPolicy],
) -> Result<Vec<TargetCheck>, Vec<OfferType>> {
    let mut unknown = Vec::new();
    let mut checks = Vec::new();
    for (offer, value) in &baseline.offer_types {
        let found = listed.iter().find(|p| match &p.target {
            Target::OfferType(listed) => listed.as_str().eq_ignore_ascii_case(offer.as_str()),
            Target::Product(_) => false,
        });
        match found {
            Some(current) => checks.push(TargetCheck {
                policy_id: baseline.policy_id.clone(),
                target: current.target.clone(),
                name: current.name.clone(),
                before: current.value,
                after: *value,
                source: Source::Pinned,
            }),
            None => unknown.push(offer.clone()),
        }
    }
    if unknown.is_empty() { Ok(checks) } else { Err(unknown) }
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
        assert_eq!(checks[0].target, Target::Product("CFQ7TTC0H9MP".parse().unwrap()));
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

    fn offer(id: &str, name: &str, value: PolicyValue) -> TargetPolicy {
        TargetPolicy { target: Target::OfferType(id.parse().unwrap()), ..product("CFQ7TTC0H9MP", name, value) }
    }

    #[test]
    fn offer_types_are_optional_checked_by_name_and_refused_twice() {
        let old = Baseline::parse(r#"{"policyId":"AllowSelfServicePurchase","default":"Disabled"}"#).unwrap();
        assert!(old.policies[0].offer_types.is_empty(), "absent: offer types are not managed");
        assert!(!old.to_json().contains("offerTypes"));
        let b = Baseline::parse(r#"{"policyId":"AllowSelfServicePurchase","offerTypes":{"saas":"Disabled"}}"#).unwrap();
        let listed = [offer("SaaS", "Software as a Service", PolicyValue::Enabled)];
        let checks = check_offer_types(&b.policies[0], &listed).unwrap();
        assert_eq!(checks[0].target, Target::OfferType("SaaS".parse().unwrap()), "the service's spelling");
        assert!(checks[0].drifted());
        assert_eq!(check_offer_types(&b.policies[0], &[]).unwrap_err()[0].as_str(), "saas");
        let twice = "{\"policyId\":\"A\",\"offerTypes\":{\"SaaS\":\"Enabled\",\n\"SAAS\":\"Disabled\"}}";
        let err = Baseline::parse(twice).unwrap_err().to_string();
        assert!(err.contains("offer type SAAS is pinned twice") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn an_offer_type_check_is_named_as_one_and_reads_back() {
        let check = TargetCheck {
            policy_id: "AllowSelfServicePurchase".parse().unwrap(),
            target: Target::OfferType("SaaS".parse().unwrap()),
            name: "Software as a Service".into(),
            before: PolicyValue::Enabled,
            after: PolicyValue::Disabled,
            source: Source::Pinned,
        };
        let json = serde_json::to_value(&check).unwrap();
        assert_eq!((json["Scope"].as_str(), json["ScopeId"].as_str()), (Some("OfferType"), Some("SaaS")));
        assert!(json.get("ProductId").is_none());
        assert_eq!(serde_json::from_value::<TargetCheck>(json).unwrap(), check);
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
        assert_eq!(fields, ["$schema", "default", "offerTypes", "policyId", "products"]);
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
