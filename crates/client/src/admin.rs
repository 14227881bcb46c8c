//! The self-service purchase administration of our service (`commerce_model::admin`'s route
//! table), one method per route, over the same transport, retries and errors as the policy
//! calls. Who acts is the token's user, or on a service without sign-in the user named by
//! [`Client::acting_as`].

use bytes::Bytes;
use commerce_model::ProductId;
use commerce_model::admin::{
    AdminAuditEntry, Cancellation, Centralize, LicenseChange, LicenseHolder, LicenseSummary, NewCentralSubscription,
    NewPurchase, NewUser, Notification, Outcome, Subscription, SubscriptionStatus, TakeOver, User,
};
use commerce_model::wire::Items;
use http::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::Request;
use crate::{Client, ClientError, Versioned};

/// How many subscription ids one export request names: 100 GUIDs make a target of about
/// 5 KiB.
pub const HOLDERS_PER_REQUEST: usize = 100;

/// Which subscriptions `GET /subscriptions` answers.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFilter {
    /// Only those a user bought.
    pub self_service: bool,
    pub product_id: Option<ProductId>,
    /// The purchaser's principal name.
    pub purchaser: Option<String>,
    pub status: Option<SubscriptionStatus>,
}

impl Client {
    pub async fn users(&self) -> Result<Vec<User>, ClientError> {
        self.items(Request::get("/v1.0/users".into())).await
    }

    pub async fn add_user(&self, user: &NewUser) -> Result<User, ClientError> {
        self.post("/v1.0/users".into(), user, None).await
    }

    /// Adds every user or none.
    pub async fn import_users(&self, users: Vec<NewUser>) -> Result<Vec<User>, ClientError> {
        let added: Items<User> = self.post("/v1.0/users/import".into(), &Items { items: users }, None).await?;
        Ok(added.items)
    }

    /// The acting user buys licenses of a product, or starts a trial.
    pub async fn purchase(&self, purchase: &NewPurchase) -> Result<Subscription, ClientError> {
        self.post("/v1.0/purchases".into(), purchase, None).await
    }

    pub async fn subscriptions(&self, filter: &SubscriptionFilter) -> Result<Vec<Subscription>, ClientError> {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if filter.self_service {
            query.append_pair("selfService", "true");
        }
        if let Some(product) = &filter.product_id {
            query.append_pair("productId", product.as_str());
        }
        if let Some(purchaser) = &filter.purchaser {
            query.append_pair("purchaser", purchaser);
        }
        if let Some(status) = filter.status {
            query.append_pair("status", status.as_str());
        }
        self.items(Request::get(with_query("/v1.0/subscriptions", query.finish()))).await
    }

    /// One subscription with its entity tag, for a change made with `If-Match`.
    pub async fn subscription(&self, id: &str) -> Result<Versioned<Subscription>, ClientError> {
        self.call(Request::get(subscription_path(id, ""))).await
    }

    /// The tenant buys a subscription centrally.
    pub async fn add_subscription(&self, new: &NewCentralSubscription) -> Result<Subscription, ClientError> {
        self.post("/v1.0/subscriptions".into(), new, None).await
    }

    /// The purchaser cancels their own subscription, if it is still at `if_match`.
    pub async fn cancel_subscription(
        &self,
        id: &str,
        cancellation: &Cancellation,
        if_match: Option<&str>,
    ) -> Result<Outcome, ClientError> {
        self.post(subscription_path(id, "/cancel"), cancellation, if_match).await
    }

    /// Gives (`assign`) or takes back licenses of one subscription, if it is still at
    /// `if_match`.
    pub async fn change_licenses(
        &self,
        id: &str,
        assign: bool,
        users: Vec<String>,
        if_match: Option<&str>,
    ) -> Result<Subscription, ClientError> {
        let action = if assign { "/assign" } else { "/unassign" };
        self.post(subscription_path(id, action), &LicenseChange { users }, if_match).await
    }

    /// An admin takes a user's subscription over, if it is still at `if_match`; with
    /// `what_if`, only says what would happen.
    pub async fn take_over(
        &self,
        id: &str,
        take_over: &TakeOver,
        if_match: Option<&str>,
        what_if: bool,
    ) -> Result<Outcome, ClientError> {
        self.post(what_if_path(subscription_path(id, "/takeOver"), what_if), take_over, if_match).await
    }

    /// Per product: its licenses and who holds them, grouped by purchaser.
    pub async fn licenses(
        &self,
        self_service: bool,
        product: Option<&ProductId>,
    ) -> Result<Vec<LicenseSummary>, ClientError> {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if self_service {
            query.append_pair("selfService", "true");
        }
        if let Some(product) = product {
            query.append_pair("productId", product.as_str());
        }
        self.items(Request::get(with_query("/v1.0/licenses", query.finish()))).await
    }

    /// The users holding licenses of these subscriptions: the rows of an export. Many ids
    /// are asked for in turns of [`HOLDERS_PER_REQUEST`], so no request target is longer than
    /// a service accepts (8 KiB for ours).
    pub async fn license_holders(&self, subscriptions: &[String]) -> Result<Vec<LicenseHolder>, ClientError> {
        let mut holders = Vec::new();
        for ids in subscriptions.chunks(HOLDERS_PER_REQUEST) {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for id in ids {
                query.append_pair("subscriptionId", id);
            }
            holders.extend(self.items(Request::get(with_query("/v1.0/licenses/holders", query.finish()))).await?);
        }
        Ok(holders)
    }

    pub async fn centralize(&self, centralize: &Centralize, what_if: bool) -> Result<Outcome, ClientError> {
        self.post(what_if_path("/v1.0/centralize".into(), what_if), centralize, None).await
    }

    /// The administration audit log, newest first (`limit` 1 to 1000).
    pub async fn admin_audit(&self, limit: u32) -> Result<Vec<AdminAuditEntry>, ClientError> {
        self.items(Request::get(format!("/v1.0/audit/administration?limit={limit}"))).await
    }

    /// The mails to purchasers, with their delivery state.
    pub async fn notifications(&self) -> Result<Vec<Notification>, ClientError> {
        self.items(Request::get("/v1.0/notifications".into())).await
    }

    async fn items<T: DeserializeOwned>(&self, request: Request<'_>) -> Result<Vec<T>, ClientError> {
        let list: Versioned<Items<T>> = self.call(request).await?;
        Ok(list.value.items)
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: String,
        body: &B,
        if_match: Option<&str>,
    ) -> Result<T, ClientError> {
        let body =
            serde_json::to_vec(body).map_err(|e| ClientError::Config(format!("could not encode {path}: {e}")))?;
        let request = Request { method: Method::POST, body: Some(Bytes::from(body)), if_match, ..Request::get(path) };
        Ok(self.call(request).await?.value)
    }
}

/// A subscription's path; the id is percent-encoded, so no id can reach another route.
fn subscription_path(id: &str, action: &str) -> String {
    let id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("/v1.0/subscriptions/{id}{action}")
}

fn what_if_path(path: String, what_if: bool) -> String {
    if what_if { format!("{path}?whatIf=true") } else { path }
}

fn with_query(path: &str, query: String) -> String {
    if query.is_empty() { path.to_string() } else { format!("{path}?{query}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cannot_leave_their_path_segment() {
        assert_eq!(subscription_path("../users", "/cancel"), "/v1.0/subscriptions/..%2Fusers/cancel");
        assert_eq!(subscription_path("a b?c", ""), "/v1.0/subscriptions/a+b%3Fc");
    }

    #[test]
    fn what_if_is_a_query_flag() {
        assert_eq!(what_if_path("/v1.0/centralize".into(), true), "/v1.0/centralize?whatIf=true");
        assert_eq!(what_if_path("/v1.0/centralize".into(), false), "/v1.0/centralize");
    }
}
