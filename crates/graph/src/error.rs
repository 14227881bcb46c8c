//! What can go wrong reading Microsoft Graph, each as one line that says what to do.

use commerce_client::ErrorKind;

/// A failed Graph read. `what` names the read (`listing the tenant's subscriptions`), and
/// `request_id` is Graph's `request-id`, which Microsoft's support asks for.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// 403: the sign-in lacks the permission (or its admin consent).
    #[error(
        "Microsoft Graph refused {what}: the sign-in lacks the {permission} permission ({message}): grant {permission} to the application (an application permission for app-only sign-in, a delegated one for a person) and give admin consent in Entra ID, then run `commerce-policy connect` again (request id {request_id})"
    )]
    MissingPermission { what: String, permission: &'static str, message: String, request_id: String },
    /// 401: the token is not (or no longer) accepted.
    #[error(
        "Microsoft Graph did not accept the token for {what} ({message}): run `commerce-policy connect` again, or pass a Graph token in COMMERCE_POLICY_GRAPH_ACCESS_TOKEN (request id {request_id})"
    )]
    Unauthorized { what: String, message: String, request_id: String },
    #[error("{what} failed: Microsoft Graph has no {subject} (request id {request_id})")]
    NotFound { what: String, subject: String, request_id: String },
    /// Any other error status, after every retry the policy allowed.
    #[error("{what} failed: Microsoft Graph answered {status}: {message}{} (request id {request_id})", tries(*attempts))]
    Status { what: String, status: u16, message: String, request_id: String, attempts: u32 },
    #[error("{what} failed: Microsoft Graph gave no answer{}: {message}", tries(*attempts))]
    Unreachable { what: String, message: String, attempts: u32 },
    #[error("{what} failed: Microsoft Graph's answer could not be read: {message}{}", request(request_id))]
    Decode { what: String, message: String, request_id: String },
    #[error("{0}")]
    Config(String),
}

fn request(request_id: &str) -> String {
    if request_id.is_empty() { String::new() } else { format!(" (request id {request_id})") }
}

fn tries(attempts: u32) -> String {
    if attempts > 1 { format!(" after {attempts} tries") } else { String::new() }
}

impl GraphError {
    /// The kind, for the exit codes the binary shares with the licensing calls.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::MissingPermission { .. } => ErrorKind::Forbidden,
            Self::Unauthorized { .. } => ErrorKind::Unauthorized,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Status { status: 400, .. } => ErrorKind::BadRequest,
            Self::Status { status: 408 | 429 | 500..=599, .. } | Self::Unreachable { .. } => ErrorKind::Unavailable,
            Self::Status { .. } | Self::Decode { .. } | Self::Config(_) => ErrorKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_permission_is_one_line_naming_it() {
        let e = GraphError::MissingPermission {
            what: "listing the tenant's subscriptions".into(),
            permission: "Organization.Read.All",
            message: "Insufficient privileges to complete the operation.".into(),
            request_id: "r1".into(),
        };
        let line = e.to_string();
        assert!(!line.contains('\n') && line.contains("grant Organization.Read.All"), "{line}");
        assert_eq!(e.kind(), ErrorKind::Forbidden);
    }
}
