//! The operations of commerce-policy, as a client carries them out: plan a bulk update
//! ([`plan_update`]) or a baseline ([`plan_baseline`]), then [`carry_out`] each change —
//! always with `If-Match` on the version it read, so a change someone else made in between
//! is reported, never overwritten. Results carry an error kind; exit codes belong to the
//! binary, and so does the progress bar (told through a callback). A batch can be
//! [`Interrupt`]ed: it starts no new change, and says which ones it never attempted.

mod baseline;
mod batch;
mod carry;
mod update;

use commerce_client::ErrorKind;
use commerce_model::{PolicyId, PolicyValue, Target};

pub use baseline::{PlanError, plan_baseline};
pub use batch::{Interrupt, in_order};
pub use carry::{Mode, carry_out, carry_out_all};
pub use update::{Selection, plan_update};

/// One change to make: a target's value from `before` to `after`.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub policy_id: PolicyId,
    pub target: Target,
    /// The product's or offer type's name.
    pub name: String,
    /// The value read when the change was planned.
    pub before: PolicyValue,
    pub after: PolicyValue,
    /// The entity tag read with `before`, when the service gave one; without it the change
    /// reads the target again just before writing.
    pub etag: Option<String>,
}

/// A planned change, or a target whose current value could not be read.
pub type Planned = Result<Change, Unread>;

/// A target that could not be read while planning.
#[derive(Debug)]
pub struct Unread {
    pub policy_id: PolicyId,
    pub target: Target,
    /// Boxed: a plan holds many of these beside changes.
    pub error: Box<commerce_client::ClientError>,
}

/// What happened to one change. Its names are the `Status` property of the binary's records,
/// which scripts and the PowerShell module read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Status {
    /// Changed from `before` to `after`.
    Updated,
    /// Already had the wanted value; nothing was sent.
    Unchanged,
    /// A dry run: would change from `before` to `after`.
    WouldUpdate,
    /// Changed by someone else since it was read; left as they set it.
    Conflict,
    Failed,
    /// The batch was interrupted before this change was sent: it has the value read.
    NotAttempted,
}

/// Why a change did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: ErrorKind,
    /// One line: what went wrong, and the correlation id when a request was made.
    pub message: String,
}

/// The result of one change.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeResult {
    pub policy_id: PolicyId,
    pub target: Target,
    /// Empty when the target could not be read.
    pub name: String,
    /// The value before; `None` when it could not be read.
    pub before: Option<PolicyValue>,
    /// The value it has now (or would have, in a dry run), as far as known.
    pub after: Option<PolicyValue>,
    pub status: Status,
    pub failure: Option<Failure>,
    /// The request that decided the result, to quote to support.
    pub correlation_id: Option<String>,
}

#[cfg(test)]
mod testing;
