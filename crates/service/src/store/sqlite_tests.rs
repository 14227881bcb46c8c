//! The SQLite store against its contract: seeding, former ids, versions, If-Match, the trial
//! rule, the audit log, layouts old and new.

use super::*;
use crate::store::{Actor, Expected};

const CATALOG: &str = r#"{"policies":[{"id":"AllowSelfServicePurchase","description":"d","defaultValue":"Enabled"}],
    "products":[
      {"id":"CFQ7TTC0LH2H","name":"Power Apps per user","trials":false,"formerIds":["CFQ7TTC0KP0P"]},
      {"id":"CFQ7TTC0HDB1","name":"Project Plan 1","trials":true}],
    "offerTypes":[{"id":"SaaS","name":"Software as a Service"}]}"#;

fn store() -> SqliteStore {
    SqliteStore::in_memory(&Catalog::parse(CATALOG).unwrap()).unwrap()
}

fn ctx(expected: Expected) -> ChangeContext {
    ChangeContext { actor: Actor::named("local"), correlation_id: "c-1".into(), expected }
}

fn ids() -> (PolicyId, Target) {
    ("AllowSelfServicePurchase".parse().unwrap(), Target::Product("CFQ7TTC0LH2H".parse().unwrap()))
}

#[tokio::test]
async fn seeds_every_target_at_the_policy_default() {
    let (policy, _) = ids();
    let s = store();
    let all = s.values(&policy, Scope::Product).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|p| p.value.value == PolicyValue::Enabled && p.version == 1));
    let offers = s.values(&policy, Scope::OfferType).await.unwrap();
    assert_eq!(offers[0].value.name, "Software as a Service");
}

#[tokio::test]
async fn former_id_resolves_to_the_current_product() {
    let (policy, _) = ids();
    let got = store().value(&policy, &Target::Product("CFQ7TTC0KP0P".parse().unwrap())).await.unwrap();
    assert_eq!(got.value.target.id(), "CFQ7TTC0LH2H");
}

#[tokio::test]
async fn an_offer_type_answers_in_its_stored_spelling() {
    let (policy, _) = ids();
    let got = store().value(&policy, &Target::OfferType("saas".parse().unwrap())).await.unwrap();
    assert_eq!(got.value.target.id(), "SaaS");
}

#[tokio::test]
async fn change_bumps_the_version_and_is_audited() {
    let (policy, product) = ids();
    let s = store();
    let before = s.value(&policy, &product).await.unwrap();
    let after = s.set_value(&policy, &product, PolicyValue::Disabled, &ctx(Expected::Any)).await.unwrap();
    assert_eq!(after.version, before.version + 1);
    let audit = s.audit(10).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!((audit[0].old_value, audit[0].new_value), (PolicyValue::Enabled, PolicyValue::Disabled));
    assert_eq!((audit[0].target_name.as_str(), audit[0].scope), ("Power Apps per user", Scope::Product));
}

#[tokio::test]
async fn a_stale_expected_version_is_refused_and_changes_nothing() {
    let (policy, product) = ids();
    let s = store();
    let old = s.value(&policy, &product).await.unwrap().version;
    s.set_value(&policy, &product, PolicyValue::Disabled, &ctx(Expected::OneOf(vec![old]))).await.unwrap();
    let err = s.set_value(&policy, &product, PolicyValue::Enabled, &ctx(Expected::OneOf(vec![old]))).await.unwrap_err();
    assert!(matches!(err, StoreError::VersionMismatch { current, .. } if current == old + 1), "{err}");
    assert_eq!(s.value(&policy, &product).await.unwrap().value.value, PolicyValue::Disabled);
}

#[tokio::test]
async fn trial_only_value_needs_a_product_with_trials() {
    let (policy, product) = ids();
    let s = store();
    let trials = PolicyValue::OnlyTrialsWithoutPaymentMethod;
    let err = s.set_value(&policy, &product, trials, &ctx(Expected::Any)).await.unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err}");
    assert!(err.to_string().starts_with("Power Apps per user (CFQ7TTC0LH2H) offers no trial"), "{err}");
    let offer = Target::OfferType("SaaS".parse().unwrap());
    assert!(matches!(s.set_value(&policy, &offer, trials, &ctx(Expected::Any)).await, Err(StoreError::Refused(_))));
    let project = Target::Product("CFQ7TTC0HDB1".parse().unwrap());
    s.set_value(&policy, &project, trials, &ctx(Expected::Any)).await.unwrap();
}

#[tokio::test]
async fn unchanged_value_writes_no_audit_entry_and_keeps_its_version() {
    let (policy, product) = ids();
    let s = store();
    let same = s.set_value(&policy, &product, PolicyValue::Enabled, &ctx(Expected::Any)).await.unwrap();
    assert_eq!(same.version, 1);
    assert!(s.audit(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn unknown_targets_and_policies_are_not_found() {
    let (policy, _) = ids();
    let s = store();
    let err = s.value(&policy, &Target::Product("TEST00000009".parse().unwrap())).await.unwrap_err();
    assert_eq!(err.to_string(), "product TEST00000009 was not found");
    let err = s.values(&"Nope".parse().unwrap(), Scope::Product).await.unwrap_err();
    assert_eq!(err.to_string(), "policy Nope was not found");
}

#[test]
fn a_store_from_a_newer_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let catalog = Catalog::parse(CATALOG).unwrap();
    drop(SqliteStore::open(&path, &catalog).unwrap());
    Connection::open(&path).unwrap().pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    let err = SqliteStore::open(&path, &catalog).err().unwrap().to_string();
    assert!(err.contains("newer commerce-policy"), "{err}");
}

#[tokio::test]
async fn a_layout_1_store_is_migrated_in_place_keeping_its_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let catalog = Catalog::parse(CATALOG).unwrap();
    let (policy, product) = ids();
    let s = SqliteStore::open(&path, &catalog).unwrap();
    s.set_value(&policy, &product, PolicyValue::Disabled, &ctx(Expected::Any)).await.unwrap();
    drop(s);
    // Back to layout 1: the audit table without the caller's columns.
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "ALTER TABLE audit DROP COLUMN actor_object_id; ALTER TABLE audit DROP COLUMN actor_app_id;
         ALTER TABLE audit DROP COLUMN actor_upn; PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);

    let s = SqliteStore::open(&path, &catalog).unwrap();
    let signed_in = ChangeContext {
        actor: Actor {
            name: "admin@contoso.test".into(),
            object_id: Some("oid-1".into()),
            app_id: Some("app-1".into()),
            upn: Some("admin@contoso.test".into()),
        },
        ..ctx(Expected::Any)
    };
    s.set_value(&policy, &product, PolicyValue::Enabled, &signed_in).await.unwrap();
    let audit = s.audit(10).await.unwrap();
    assert_eq!(audit.len(), 2, "the layout 1 entry is kept");
    assert_eq!((audit[1].actor.as_str(), audit[1].actor_upn.as_deref()), ("local", None));
    assert_eq!(audit[0].actor_upn.as_deref(), Some("admin@contoso.test"));
    assert_eq!(audit[0].actor_object_id.as_deref(), Some("oid-1"));
    assert_eq!(audit[0].actor_app_id.as_deref(), Some("app-1"));
    let conn = Connection::open(&path).unwrap();
    assert_eq!(conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).unwrap(), SCHEMA_VERSION);
}

#[tokio::test]
async fn reopening_keeps_values_and_adds_new_catalogue_products() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let (policy, product) = ids();
    let catalog = Catalog::parse(CATALOG).unwrap();
    let s = SqliteStore::open(&path, &catalog).unwrap();
    s.set_value(&policy, &product, PolicyValue::Disabled, &ctx(Expected::Any)).await.unwrap();
    drop(s);
    let bigger = CATALOG.replace(
        r#"{"id":"CFQ7TTC0HDB1""#,
        r#"{"id":"CFQ7TTC0HD33","name":"Visio Plan 1","trials":false},{"id":"CFQ7TTC0HDB1""#,
    );
    let s = SqliteStore::open(&path, &Catalog::parse(&bigger).unwrap()).unwrap();
    assert_eq!(s.values(&policy, Scope::Product).await.unwrap().len(), 3);
    assert_eq!(s.value(&policy, &product).await.unwrap().value.value, PolicyValue::Disabled);
}
