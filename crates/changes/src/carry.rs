//! Carrying out changes: one path for `update`, `apply` and every later operation, always
//! writing with `If-Match` on the version read, so a change made by someone else between
//! our read and our write is refused by the service, not overwritten. A result says what the
//! service did: a write it answered without a new version changed nothing, and a refusal of
//! a retried write that an earlier, unanswered try carried out is our own success.

use commerce_client::{Client, ClientError, ErrorKind};
use commerce_model::{Catalog, PolicyValue};

use crate::{Change, ChangeResult, Failure, Interrupt, Planned, Status, Unread, in_order};

/// How many audit entries are searched for the one a retried write may have made.
const AUDIT_LOOKBACK: u32 = 1000;

/// Whether to write, or only say what would be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    WhatIf,
}

/// Carries out every planned change, `concurrency` at a time; results come in the plan's
/// order, and `on_done` is called as each finishes (for a progress bar). Once `interrupt`
/// stops the batch, changes not yet started are [`Status::NotAttempted`]; once it abandons
/// them, changes in flight fail as interrupted.
pub async fn carry_out_all(
    client: &Client,
    planned: Vec<Planned>,
    concurrency: usize,
    mode: Mode,
    interrupt: &Interrupt,
    on_done: impl Fn(),
) -> Vec<ChangeResult> {
    in_order(planned, concurrency, |p| {
        let on_done = &on_done;
        async move {
            let result = match p {
                Err(unread) => unreadable(unread),
                Ok(change) if interrupt.is_stopped() => not_attempted(&change),
                Ok(change) => tokio::select! {
                    done = carry_out(client, Ok(change.clone()), mode) => done,
                    () = interrupt.abandoned() => abandoned(&change),
                },
            };
            on_done();
            result
        }
    })
    .await
}

/// Carries out one planned change.
pub async fn carry_out(client: &Client, planned: Planned, mode: Mode) -> ChangeResult {
    let change = match planned {
        Ok(change) => change,
        Err(unread) => return unreadable(unread),
    };
    if change.before == change.after {
        return result(&change, Status::Unchanged, Some(change.after), None);
    }
    if mode == Mode::WhatIf {
        return match Catalog::builtin().refusal(&change.target, &change.name, change.after) {
            Some(refusal) => {
                let failure = Failure { kind: ErrorKind::BadRequest, message: format!("would be refused: {refusal}") };
                ChangeResult { failure: Some(failure), ..result(&change, Status::Failed, Some(change.before), None) }
            }
            None => result(&change, Status::WouldUpdate, Some(change.after), None),
        };
    }
    let etag = match &change.etag {
        Some(etag) => Some(etag.clone()),
        None => match read_again(client, &change).await {
            Ok(etag) => etag,
            Err(settled) => return settled,
        },
    };
    match client.set(&change.policy_id, &change.target, change.after, etag.as_deref()).await {
        // The service answered with the version we read: the value was already there, so
        // nothing changed (and it wrote no audit entry).
        Ok(done) if etag.is_some() && done.etag == etag => {
            let value = done.value.into_target().map_or(change.after, |(p, _)| p.value);
            result(&change, Status::Unchanged, Some(value), Some(done.correlation_id))
        }
        Ok(done) => {
            let value = done.value.into_target().map_or(change.after, |(p, _)| p.value);
            result(&change, Status::Updated, Some(value), Some(done.correlation_id))
        }
        Err(e) if e.kind() == ErrorKind::Conflict => after_conflict(client, &change, e).await,
        Err(e) => failed(&change, None, &e),
    }
}

/// Reads the target just before writing, when the plan carried no entity tag: `Ok(etag)` to
/// go on, or the settled result when it already has the wanted value or someone changed it.
async fn read_again(client: &Client, change: &Change) -> Result<Option<String>, ChangeResult> {
    let now = client.get(&change.policy_id, &change.target).await.map_err(|e| failed(change, None, &e))?;
    let value = now.value.clone().into_target().map(|(p, _)| p.value);
    match value {
        Some(value) if value == change.after => Err(result(change, Status::Unchanged, Some(value), None)),
        Some(value) if value != change.before => Err(conflict(change, value, now.correlation_id)),
        _ => Ok(now.etag),
    }
}

/// The service refused the write because the version moved: say what it is now. A target
/// that already has the wanted value needs nothing more — and if the write was retried and
/// the newest audit entry of the target carries its correlation id, an earlier try whose
/// answer was lost made that change: it is ours, `Updated`.
async fn after_conflict(client: &Client, change: &Change, refused: ClientError) -> ChangeResult {
    let Ok(now) = client.get(&change.policy_id, &change.target).await else {
        return failed(change, None, &refused);
    };
    match now.value.into_target().map(|(p, _)| p.value) {
        Some(value) if value == change.after => {
            let ours = refused.correlation_id().filter(|_| refused.attempts() > 1);
            match ours {
                Some(id) if last_written_by(client, change, id).await => {
                    result(change, Status::Updated, Some(value), Some(id.to_string()))
                }
                _ => result(change, Status::Unchanged, Some(value), None),
            }
        }
        Some(value) => conflict(change, value, refused.correlation_id().unwrap_or(&now.correlation_id).to_string()),
        None => failed(change, None, &refused),
    }
}

/// Whether the newest audit entry of the change's target was written under `correlation_id`.
/// A service without an audit log (Microsoft's) cannot say so: then no.
async fn last_written_by(client: &Client, change: &Change, correlation_id: &str) -> bool {
    let Ok(entries) = client.audit(AUDIT_LOOKBACK).await else { return false };
    let target = &change.target;
    entries
        .iter()
        .find(|e| {
            e.policy_id == change.policy_id
                && e.scope == target.scope()
                && e.target_id.eq_ignore_ascii_case(target.id())
        })
        .is_some_and(|e| e.correlation_id == correlation_id)
}

fn conflict(change: &Change, now: PolicyValue, correlation_id: String) -> ChangeResult {
    let message = format!(
        "changed by someone else since it was read (it was {}, it is now {now}): left as it is — read it again and retry",
        change.before
    );
    ChangeResult {
        failure: Some(Failure { kind: ErrorKind::Conflict, message }),
        ..result(change, Status::Conflict, Some(now), Some(correlation_id))
    }
}

fn result(change: &Change, status: Status, after: Option<PolicyValue>, correlation_id: Option<String>) -> ChangeResult {
    ChangeResult {
        policy_id: change.policy_id.clone(),
        target: change.target.clone(),
        name: change.name.clone(),
        before: Some(change.before),
        after,
        status,
        failure: None,
        correlation_id,
    }
}

/// A write that failed: the value is not known (a write that timed out may have landed).
fn failed(change: &Change, after: Option<PolicyValue>, e: &ClientError) -> ChangeResult {
    ChangeResult {
        failure: Some(Failure { kind: e.kind(), message: e.to_string() }),
        ..result(change, Status::Failed, after, e.correlation_id().map(str::to_string))
    }
}

/// A change the batch never sent: the target has the value it was read with.
fn not_attempted(change: &Change) -> ChangeResult {
    result(change, Status::NotAttempted, Some(change.before), None)
}

/// A change given up while in flight: whether the service carried it out is not known.
fn abandoned(change: &Change) -> ChangeResult {
    let message = "interrupted before the service answered: it may or may not have changed — read it again".into();
    ChangeResult {
        failure: Some(Failure { kind: ErrorKind::Unavailable, message }),
        ..result(change, Status::Failed, None, None)
    }
}

fn unreadable(unread: Unread) -> ChangeResult {
    let Unread { policy_id, target, error } = unread;
    ChangeResult {
        policy_id,
        target,
        name: String::new(),
        before: None,
        after: None,
        status: Status::Failed,
        failure: Some(Failure { kind: error.kind(), message: error.to_string() }),
        correlation_id: error.correlation_id().map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use commerce_model::{PolicyValue, Scope};

    use super::*;
    use crate::testing::{POLICY, local_client, product};
    use crate::{Selection, plan_update};

    async fn plan_one(client: &Client, id: &str, wanted: PolicyValue) -> Planned {
        let selection = Selection::Only(vec![product(id)]);
        plan_update(client, &POLICY.parse().unwrap(), &selection, wanted, 1).await.unwrap().remove(0)
    }

    #[tokio::test]
    async fn a_change_is_written_and_a_second_run_finds_nothing_to_do() {
        let (_dir, client) = local_client();
        let planned = plan_one(&client, "CFQ7TTC0LH2H", PolicyValue::Disabled).await;
        let done = carry_out(&client, planned, Mode::Write).await;
        assert_eq!((done.status, done.after), (Status::Updated, Some(PolicyValue::Disabled)));
        assert!(done.correlation_id.is_some());
        let again =
            carry_out(&client, plan_one(&client, "CFQ7TTC0LH2H", PolicyValue::Disabled).await, Mode::Write).await;
        assert_eq!(again.status, Status::Unchanged);
    }

    #[tokio::test]
    async fn a_change_made_between_read_and_write_is_refused_and_left_as_it_is() {
        let (_dir, client) = local_client();
        let policy = POLICY.parse().unwrap();
        let project = product("CFQ7TTC0HDB1");
        let raced = plan_one(&client, "CFQ7TTC0HDB1", PolicyValue::Disabled).await;
        // Someone else, after our read.
        client.set(&policy, &project, PolicyValue::OnlyTrialsWithoutPaymentMethod, None).await.unwrap();
        let done = carry_out(&client, raced, Mode::Write).await;
        assert_eq!(done.status, Status::Conflict, "{done:?}");
        assert_eq!(done.failure.unwrap().kind, ErrorKind::Conflict);
        assert_eq!(done.after, Some(PolicyValue::OnlyTrialsWithoutPaymentMethod));
        let now = client.get(&policy, &project).await.unwrap().value.into_target().unwrap().0;
        assert_eq!(now.value, PolicyValue::OnlyTrialsWithoutPaymentMethod, "their change stands");
    }

    #[tokio::test]
    async fn without_an_entity_tag_the_target_is_read_again_before_the_write() {
        let (_dir, client) = local_client();
        let policy = POLICY.parse().unwrap();
        let mut change = plan_one(&client, "CFQ7TTC0HDB1", PolicyValue::Disabled).await.unwrap();
        change.etag = None;
        client.set(&policy, &change.target, PolicyValue::OnlyTrialsWithoutPaymentMethod, None).await.unwrap();
        let done = carry_out(&client, Ok(change.clone()), Mode::Write).await;
        assert_eq!(done.status, Status::Conflict);
        // Once it has the wanted value, there is nothing left to do.
        client.set(&policy, &change.target, PolicyValue::Disabled, None).await.unwrap();
        assert_eq!(carry_out(&client, Ok(change), Mode::Write).await.status, Status::Unchanged);
    }

    #[tokio::test]
    async fn a_write_the_service_answers_without_a_new_version_is_unchanged() {
        let (_dir, client) = local_client();
        let policy = POLICY.parse().unwrap();
        let project = product("CFQ7TTC0HDB1");
        // Another writer set the value; a change planned from an older reading still holds
        // the entity tag the service has now.
        let set = client.set(&policy, &project, PolicyValue::Disabled, None).await.unwrap();
        let mut change = plan_one(&client, "CFQ7TTC0HDB1", PolicyValue::Disabled).await.unwrap();
        (change.before, change.etag) = (PolicyValue::Enabled, set.etag);
        let done = carry_out(&client, Ok(change), Mode::Write).await;
        assert_eq!((done.status, done.after), (Status::Unchanged, Some(PolicyValue::Disabled)), "{done:?}");
        assert_eq!(client.audit(10).await.unwrap().len(), 1, "only the other writer's change");
    }

    #[tokio::test]
    async fn a_stopped_batch_attempts_nothing_more_and_says_so() {
        let (_dir, client) = local_client();
        let all =
            plan_update(&client, &POLICY.parse().unwrap(), &Selection::Every(Scope::Product), PolicyValue::Disabled, 1)
                .await
                .unwrap();
        let interrupt = Interrupt::new();
        interrupt.stop();
        let results = carry_out_all(&client, all, 1, Mode::Write, &interrupt, || {}).await;
        assert!(results.iter().all(|r| r.status == Status::NotAttempted && r.after == r.before), "{results:?}");
        assert!(client.audit(10).await.unwrap().is_empty(), "nothing was written");
    }

    #[tokio::test]
    async fn what_if_writes_nothing_and_names_a_value_the_service_would_refuse() {
        let (_dir, client) = local_client();
        let pro = plan_one(&client, "CFQ7TTC0H9MP", PolicyValue::OnlyTrialsWithoutPaymentMethod).await;
        let refused = carry_out(&client, pro, Mode::WhatIf).await;
        assert_eq!(refused.status, Status::Failed);
        let failure = refused.failure.unwrap();
        assert_eq!(failure.kind, ErrorKind::BadRequest);
        assert!(
            failure.message.starts_with("would be refused: Power BI Pro (CFQ7TTC0H9MP) offers no trial"),
            "{failure:?}"
        );
        let all =
            plan_update(&client, &POLICY.parse().unwrap(), &Selection::Every(Scope::Product), PolicyValue::Disabled, 4)
                .await
                .unwrap();
        let results = carry_out_all(&client, all, 4, Mode::WhatIf, &Interrupt::new(), || {}).await;
        assert!(results.iter().all(|r| r.status == Status::WouldUpdate));
        assert!(client.audit(10).await.unwrap().is_empty(), "nothing was written");
    }

    #[tokio::test]
    async fn a_refused_value_fails_with_the_services_reason() {
        let (_dir, client) = local_client();
        let planned = plan_one(&client, "CFQ7TTC0LH2H", PolicyValue::OnlyTrialsWithoutPaymentMethod).await;
        let done = carry_out(&client, planned, Mode::Write).await;
        let failure = done.failure.unwrap();
        assert_eq!((done.status, failure.kind), (Status::Failed, ErrorKind::BadRequest));
        assert!(failure.message.contains("offers no trial without a payment method"), "{failure:?}");
    }
}
