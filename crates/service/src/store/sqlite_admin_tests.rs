//! The administration store against its rules: purchases decided by the policy, ownership,
//! take-over by move or cancel in one transaction (a refused one leaves nothing), what-if,
//! centralize, the outbox's states.

use commerce_model::admin::{
    Cancellation, CancellationReason, Centralize, NewCentralSubscription, NewPurchase, NewUser, NotificationState,
    TakeOver,
};
use commerce_model::{Catalog, PolicyValue, Target};

use crate::store::{
    Acting, Actor, AdminStore, Buyer, ChangeContext, Expected, PolicyStore, Rule, SqliteStore, StoreError,
};

const CATALOG: &str = r#"{"policies":[{"id":"AllowSelfServicePurchase","description":"d","defaultValue":"Enabled"}],
    "products":[{"id":"CFQ7TTC0HDB1","name":"Project Plan 1","trials":true}],
    "offerTypes":[]}"#;
const PRODUCT: &str = "CFQ7TTC0HDB1";

/// A fresh request's context: each has its own correlation id, as clients send them.
fn ctx() -> ChangeContext {
    ChangeContext {
        actor: Actor::named("local"),
        correlation_id: uuid::Uuid::new_v4().to_string(),
        expected: Expected::Any,
    }
}

async fn store_with_users(upns: &[&str]) -> SqliteStore {
    let store = SqliteStore::in_memory(&Catalog::parse(CATALOG).unwrap()).unwrap();
    let users = upns
        .iter()
        .map(|u| NewUser { id: None, user_principal_name: u.to_string(), display_name: u.to_string(), mail: None })
        .collect();
    store.add_users(users, &ctx()).await.unwrap();
    store
}

fn rule(e: StoreError) -> Rule {
    match e {
        StoreError::Rule { rule, .. } => rule,
        other => panic!("not a rule refusal: {other}"),
    }
}

/// A subscription bought by `buyer`, its licenses given to `holders`.
async fn bought(store: &SqliteStore, buyer: &str, holders: &[&str]) -> String {
    let id = store.user(buyer).await.unwrap().unwrap().id;
    let purchase = NewPurchase { product_id: PRODUCT.parse().unwrap(), quantity: 5, trial: false };
    let sub = store.purchase(&Buyer::Listed(id.clone()), &purchase, &ctx()).await.unwrap().value.id;
    let names: Vec<String> = holders.iter().map(|h| h.to_string()).collect();
    store.change_licenses(&sub, &names, true, &Acting::User(id), &ctx()).await.unwrap();
    sub
}

async fn central(store: &SqliteStore, quantity: u32) -> String {
    let new = NewCentralSubscription { product_id: PRODUCT.parse().unwrap(), quantity };
    store.add_central(&new, &ctx()).await.unwrap().value.id
}

#[tokio::test]
async fn the_policy_value_decides_a_purchase() {
    let store = store_with_users(&["ann@contoso.test"]).await;
    let policy = "AllowSelfServicePurchase".parse().unwrap();
    let target = Target::Product(PRODUCT.parse().unwrap());
    store.set_value(&policy, &target, PolicyValue::OnlyTrialsWithoutPaymentMethod, &ctx()).await.unwrap();
    let ann = store.user("ann@contoso.test").await.unwrap().unwrap().id;
    let paid = NewPurchase { product_id: PRODUCT.parse().unwrap(), quantity: 3, trial: false };
    assert_eq!(
        rule(store.purchase(&Buyer::Listed(ann.clone()), &paid, &ctx()).await.unwrap_err()),
        Rule::PurchaseNotAllowed
    );
    let joining =
        NewUser { id: None, user_principal_name: "new@contoso.test".into(), display_name: "New".into(), mail: None };
    let refused = store.purchase(&Buyer::Joining(joining), &paid, &ctx()).await.unwrap_err();
    assert_eq!(rule(refused), Rule::PurchaseNotAllowed);
    assert!(store.user("new@contoso.test").await.unwrap().is_none(), "a refused purchase adds no one");
    let trial = NewPurchase { trial: true, ..paid };
    let sub = store.purchase(&Buyer::Listed(ann.clone()), &trial, &ctx()).await.unwrap().value;
    assert!(sub.is_trial && sub.price.is_none());
    assert_eq!(sub.purchaser.unwrap().user_principal_name, "ann@contoso.test");
}

#[tokio::test]
async fn a_refused_move_leaves_no_row_and_no_mail() {
    let store = store_with_users(&["ann@contoso.test", "bob@contoso.test", "cy@contoso.test"]).await;
    let sub = bought(&store, "ann@contoso.test", &["bob@contoso.test", "cy@contoso.test"]).await;
    let target = central(&store, 1).await;
    let before = store.subscription(&sub).await.unwrap();
    let audit_before = store.admin_audit(1000).await.unwrap().len();
    let e = store.take_over(&sub, &TakeOver::MoveTo(target.clone()), false, &ctx()).await.unwrap_err();
    assert!(e.to_string().starts_with("1 license is missing"), "{e}");
    assert_eq!(store.subscription(&sub).await.unwrap(), before);
    assert_eq!(store.subscription(&target).await.unwrap().value.assigned_licenses, 0);
    assert!(store.notifications(100).await.unwrap().is_empty());
    assert_eq!(store.admin_audit(1000).await.unwrap().len(), audit_before);
}

#[tokio::test]
async fn a_move_cancels_the_source_and_queues_one_mail_and_what_if_changes_nothing() {
    let store = store_with_users(&["ann@contoso.test", "bob@contoso.test"]).await;
    let sub = bought(&store, "ann@contoso.test", &["bob@contoso.test"]).await;
    let target = central(&store, 5).await;
    let preview = store.take_over(&sub, &TakeOver::MoveTo(target.clone()), true, &ctx()).await.unwrap();
    assert!(preview.what_if && preview.moved.len() == 1 && preview.notifications.len() == 1);
    assert!(store.notifications(100).await.unwrap().is_empty(), "what-if queues nothing");
    let done = store.take_over(&sub, &TakeOver::MoveTo(target.clone()), false, &ctx()).await.unwrap();
    assert_eq!((done.moved.len(), done.cancelled.clone()), (1, vec![sub.clone()]));
    assert_eq!(store.subscription(&target).await.unwrap().value.assigned_users, vec!["bob@contoso.test"]);
    let source = store.subscription(&sub).await.unwrap().value;
    assert_eq!((source.status.as_str(), source.assigned_licenses), ("Deleted", 0));
    let mail = store.notifications(100).await.unwrap();
    assert_eq!(
        (mail.len(), mail[0].recipient.as_str(), mail[0].state),
        (1, "ann@contoso.test", NotificationState::Pending)
    );
    let again = store.take_over(&sub, &TakeOver::MoveTo(target), false, &ctx()).await.unwrap_err();
    assert_eq!(rule(again), Rule::SubscriptionDeleted);
}

#[tokio::test]
async fn admins_cannot_assign_in_a_users_subscription_and_users_only_in_their_own() {
    let store = store_with_users(&["ann@contoso.test", "bob@contoso.test"]).await;
    let sub = bought(&store, "ann@contoso.test", &[]).await;
    let names = vec!["bob@contoso.test".to_string()];
    let e = store.change_licenses(&sub, &names, true, &Acting::Admin, &ctx()).await.unwrap_err();
    assert_eq!(rule(e), Rule::NotTakenOver);
    let bob = store.user("bob@contoso.test").await.unwrap().unwrap().id;
    let e = store.change_licenses(&sub, &names, true, &Acting::User(bob), &ctx()).await.unwrap_err();
    assert_eq!(rule(e), Rule::Forbidden);
}

#[tokio::test]
async fn cancel_twice_is_an_empty_outcome_and_other_needs_a_text() {
    let store = store_with_users(&["ann@contoso.test"]).await;
    let sub = bought(&store, "ann@contoso.test", &["ann@contoso.test"]).await;
    let ann = Acting::User(store.user("ann@contoso.test").await.unwrap().unwrap().id);
    let other = Cancellation { reason: CancellationReason::Other, reason_text: None };
    assert_eq!(rule(store.cancel(&sub, &other, &ann, &ctx()).await.unwrap_err()), Rule::Invalid);
    let c = Cancellation { reason: CancellationReason::NoLongerNeeded, reason_text: None };
    assert_eq!(store.cancel(&sub, &c, &ann, &ctx()).await.unwrap().cancelled, vec![sub.clone()]);
    assert!(store.cancel(&sub, &c, &ann, &ctx()).await.unwrap().cancelled.is_empty());
}

#[tokio::test]
async fn centralize_licenses_every_holder_and_asks_each_purchaser() {
    let store = store_with_users(&["ann@contoso.test", "bob@contoso.test", "cy@contoso.test"]).await;
    let a = bought(&store, "ann@contoso.test", &["ann@contoso.test"]).await;
    bought(&store, "bob@contoso.test", &["bob@contoso.test", "cy@contoso.test"]).await;
    let short = central(&store, 2).await;
    let c = Centralize { product_id: PRODUCT.parse().unwrap(), to: short.clone() };
    assert_eq!(rule(store.centralize(&c, false, &ctx()).await.unwrap_err()), Rule::NotEnoughLicenses);
    let to = central(&store, 3).await;
    let done = store.centralize(&Centralize { to: to.clone(), ..c }, false, &ctx()).await.unwrap();
    assert_eq!((done.moved.len(), done.notifications.len()), (3, 2));
    assert_eq!(store.subscription(&a).await.unwrap().value.status.as_str(), "Active", "theirs stay");
    assert_eq!(store.subscription(&to).await.unwrap().value.assigned_licenses, 3);
}

#[tokio::test]
async fn the_outbox_counts_attempts_until_delivered() {
    let store = store_with_users(&["ann@contoso.test"]).await;
    let sub = bought(&store, "ann@contoso.test", &[]).await;
    let c = Cancellation { reason: CancellationReason::TooExpensive, reason_text: None };
    store.take_over(&sub, &TakeOver::Cancel(c), false, &ctx()).await.unwrap();
    let due = store.due_mail(10).await.unwrap();
    assert_eq!(due.len(), 1);
    store.mail_failed(&due[0], std::time::Duration::from_secs(60)).await.unwrap();
    assert!(store.due_mail(10).await.unwrap().is_empty(), "not due before its next attempt");
    store.mail_delivered(&due[0].id).await.unwrap();
    let n = &store.notifications(10).await.unwrap()[0];
    assert_eq!((n.state, n.attempts), (NotificationState::Delivered, 2));
}

#[tokio::test]
async fn a_layout_2_store_is_migrated_to_the_current_layout_keeping_its_policy_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let catalog = Catalog::parse(CATALOG).unwrap();
    let (policy, target) = ("AllowSelfServicePurchase".parse().unwrap(), Target::Product(PRODUCT.parse().unwrap()));
    let s = SqliteStore::open(&path, &catalog).unwrap();
    s.set_value(&policy, &target, PolicyValue::Disabled, &ctx()).await.unwrap();
    drop(s);
    // Back to layout 2: no administration tables.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE admin_audit; DROP TABLE notifications; DROP TABLE assignments; DROP TABLE subscriptions;
         DROP TABLE users; DROP TABLE answered; PRAGMA user_version = 2;",
    )
    .unwrap();
    drop(conn);

    let s = SqliteStore::open(&path, &catalog).unwrap();
    assert_eq!(s.value(&policy, &target).await.unwrap().value.value, PolicyValue::Disabled);
    assert_eq!(s.audit(10).await.unwrap().len(), 1, "the policy audit log is kept");
    let new =
        NewUser { id: None, user_principal_name: "ann@contoso.test".into(), display_name: "Ann".into(), mail: None };
    s.add_users(vec![new], &ctx()).await.unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let layout: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(layout, crate::store::SCHEMA_VERSION);
    let answered: i64 = conn.query_row("SELECT count(*) FROM answered", [], |r| r.get(0)).unwrap();
    assert_eq!(answered, 0, "layout 4's table is there, empty");
}

#[tokio::test]
async fn a_stale_if_match_refuses_assign_cancel_and_take_over_changing_nothing() {
    let store = store_with_users(&["ann@contoso.test"]).await;
    let sub = bought(&store, "ann@contoso.test", &[]).await;
    let ann = Acting::User(store.user("ann@contoso.test").await.unwrap().unwrap().id);
    let read = store.subscription(&sub).await.unwrap();
    let stale = ChangeContext { expected: Expected::OneOf(vec![read.version - 1]), ..ctx() };
    let names = vec!["ann@contoso.test".to_string()];
    let stale_error = |e: StoreError| matches!(e, StoreError::Stale { current, .. } if current == read.version);
    assert!(stale_error(store.change_licenses(&sub, &names, true, &ann, &stale).await.unwrap_err()));
    let c = Cancellation { reason: CancellationReason::NoLongerNeeded, reason_text: None };
    assert!(stale_error(store.cancel(&sub, &c, &ann, &stale).await.unwrap_err()));
    assert!(stale_error(store.take_over(&sub, &TakeOver::Cancel(c), false, &stale).await.unwrap_err()));
    assert_eq!(store.subscription(&sub).await.unwrap(), read);
}

#[tokio::test]
async fn a_retried_purchase_or_central_add_buys_once() {
    let store = store_with_users(&["ann@contoso.test"]).await;
    let ann = store.user("ann@contoso.test").await.unwrap().unwrap().id;
    let purchase = NewPurchase { product_id: PRODUCT.parse().unwrap(), quantity: 2, trial: false };
    let request = ctx();
    let first = store.purchase(&Buyer::Listed(ann.clone()), &purchase, &request).await.unwrap().value;
    let again = store.purchase(&Buyer::Listed(ann.clone()), &purchase, &request).await.unwrap().value;
    assert_eq!(first.id, again.id, "the same request buys once");
    let other = store.purchase(&Buyer::Listed(ann), &purchase, &ctx()).await.unwrap().value;
    assert_ne!(first.id, other.id, "another request buys again");
    let central = NewCentralSubscription { product_id: PRODUCT.parse().unwrap(), quantity: 4 };
    let request = ctx();
    let first = store.add_central(&central, &request).await.unwrap().value;
    assert_eq!(store.add_central(&central, &request).await.unwrap().value.id, first.id);
    assert_eq!(store.subscriptions(&Default::default()).await.unwrap().len(), 3);
}
