//! Planning a bulk update: which targets, what each has now, with one list request per scope
//! and a single read only for ids the list does not show (former ids).

use std::collections::{HashMap, HashSet};

use commerce_client::{Client, ClientError};
use commerce_model::{PolicyId, PolicyValue, Scope, Target, TargetPolicy};

use crate::{Change, Planned, Unread, in_order};

/// Which targets a bulk update covers.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// Every target the service lists in this scope.
    Every(Scope),
    /// These targets, in this order; repeats (a former id beside its current id) are
    /// changed once.
    Only(Vec<Target>),
}

/// A target's value as read, with its entity tag when the service gave one.
#[derive(Debug, Clone)]
pub(crate) struct Current {
    pub policy: TargetPolicy,
    pub etag: Option<String>,
}

impl Current {
    fn into_change(self, after: PolicyValue) -> Change {
        let TargetPolicy { policy_id, target, name, value } = self.policy;
        Change { policy_id, target, name, before: value, after, etag: self.etag }
    }
}

/// Reads what `selection` covers and plans setting each to `wanted`. A failed list is an
/// error; a target that cannot be read is an [`Unread`] among the results.
pub async fn plan_update(
    client: &Client,
    policy: &PolicyId,
    selection: &Selection,
    wanted: PolicyValue,
    concurrency: usize,
) -> Result<Vec<Planned>, ClientError> {
    let scopes: Vec<Scope> = match selection {
        Selection::Every(scope) => vec![*scope],
        Selection::Only(targets) => {
            Scope::ALL.into_iter().filter(|s| targets.iter().any(|t| t.scope() == *s)).collect()
        }
    };
    let mut listed = Vec::new();
    for scope in scopes {
        listed.extend(list(client, policy, scope).await?);
    }
    let found = match selection {
        Selection::Every(_) => listed.into_iter().map(Ok).collect(),
        Selection::Only(targets) => find(client, policy, &listed, targets.clone(), concurrency).await,
    };
    // A former id and its current id name the same product: change it once.
    let mut seen = HashSet::new();
    Ok(found
        .into_iter()
        .map(|read| read.map(|current| current.into_change(wanted)))
        .filter(|planned| planned.as_ref().map_or(true, |c| seen.insert(c.target.clone())))
        .collect())
}

/// Every target of a scope, as the service lists them.
pub(crate) async fn list(client: &Client, policy: &PolicyId, scope: Scope) -> Result<Vec<Current>, ClientError> {
    let items = client.list(policy, scope).await?;
    Ok(items.into_iter().filter_map(|item| item.into_target()).map(|(policy, etag)| Current { policy, etag }).collect())
}

/// Finds each target: in `listed` if it is there, else by reading it alone — the service
/// answers for former ids too, which its list does not show. Results come in the order of
/// `targets`.
pub(crate) async fn find(
    client: &Client,
    policy: &PolicyId,
    listed: &[Current],
    targets: Vec<Target>,
    concurrency: usize,
) -> Vec<Result<Current, Unread>> {
    let by_target: HashMap<&Target, &Current> = listed.iter().map(|c| (&c.policy.target, c)).collect();
    let lookups = targets.into_iter().map(|target| (by_target.get(&target).map(|c| (*c).clone()), target));
    in_order(lookups, concurrency, |(known, target)| async move {
        if let Some(current) = known {
            return Ok(current);
        }
        let unread = |error| Unread { policy_id: policy.clone(), target: target.clone(), error: Box::new(error) };
        let read = client.get(policy, &target).await.map_err(unread)?;
        let etag = read.etag;
        match read.value.into_target() {
            Some((policy, _)) => Ok(Current { policy, etag }),
            None => Err(unread(ClientError::Decode {
                message: format!("the answer for {target} names no product or offer type"),
                correlation_id: read.correlation_id,
            })),
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use commerce_model::{PolicyValue, Scope, Target};

    use super::*;
    use crate::testing::{POLICY, local_client, product};

    #[tokio::test]
    async fn every_product_is_planned_from_one_list_with_its_entity_tag() {
        let (_dir, client) = local_client();
        let planned =
            plan_update(&client, &POLICY.parse().unwrap(), &Selection::Every(Scope::Product), PolicyValue::Disabled, 4)
                .await
                .unwrap();
        assert_eq!(planned.len(), 3);
        for change in planned.iter().map(|p| p.as_ref().unwrap()) {
            assert_eq!((change.before, change.after), (PolicyValue::Enabled, PolicyValue::Disabled));
            assert_eq!(change.etag.as_deref(), Some("\"v1\""), "{change:?}");
        }
    }

    #[tokio::test]
    async fn a_former_id_beside_its_current_id_is_planned_once_and_an_unknown_id_is_unread() {
        let (_dir, client) = local_client();
        let selection =
            Selection::Only(vec![product("CFQ7TTC0KP0P"), product("CFQ7TTC0LH2H"), product("TEST00000009")]);
        let planned =
            plan_update(&client, &POLICY.parse().unwrap(), &selection, PolicyValue::Disabled, 4).await.unwrap();
        assert_eq!(planned.len(), 2, "{planned:?}");
        let first = planned[0].as_ref().unwrap();
        assert_eq!(first.target, product("CFQ7TTC0LH2H"), "the former id resolves to the current product");
        assert!(first.etag.is_some(), "a single read carries its ETag");
        let unread = planned[1].as_ref().unwrap_err();
        assert_eq!(unread.target, product("TEST00000009"));
        assert_eq!(unread.error.kind(), commerce_client::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn offer_types_are_planned_like_products() {
        let (_dir, client) = local_client();
        let saas = Target::OfferType("saas".parse().unwrap());
        let planned =
            plan_update(&client, &POLICY.parse().unwrap(), &Selection::Only(vec![saas]), PolicyValue::Disabled, 1)
                .await
                .unwrap();
        let change = planned[0].as_ref().unwrap();
        assert_eq!(change.name, "Software as a Service");
        assert_eq!(change.target.id(), "SaaS", "the service's spelling");
    }
}
