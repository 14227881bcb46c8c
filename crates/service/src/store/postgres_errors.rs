//! What PostgreSQL's failures mean for a caller: a database that cannot be reached, is shutting
//! down or took longer than the statement timeout is [`StoreError::Unavailable`] (503 with
//! `Retry-After`); a serialization failure is retried by the caller; a duplicate key is a
//! conflict. Messages name the store by its URL without the password.

use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;

use crate::store::{Rule, StoreError};

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Backend(Box::new(e))
    }
}

/// `url` with any password left out, for logs and messages.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, path) = rest.split_once('/').map_or((rest, None), |(a, p)| (a, Some(p)));
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => format!("{}@{host}", user.split(':').next().unwrap_or_default()),
        None => authority.to_string(),
    };
    // A password may also be a query parameter.
    let path = path.map(|p| match p.split_once('?') {
        Some((db, query)) => {
            let kept: Vec<&str> = query.split('&').filter(|kv| !kv.starts_with("password=")).collect();
            if kept.is_empty() { db.to_string() } else { format!("{db}?{}", kept.join("&")) }
        }
        None => p.to_string(),
    });
    match path {
        Some(path) => format!("{scheme}://{authority}/{path}"),
        None => format!("{scheme}://{authority}"),
    }
}

/// The error with its cause: tokio-postgres's own text names only the kind ("error connecting
/// to server", "invalid connection string"); the cause says why.
pub(super) fn described(e: &tokio_postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// Whether the failure is one a transaction is retried for.
pub(super) fn retryable(e: &StoreError) -> bool {
    sql_state(e).is_some_and(|s| *s == SqlState::T_R_SERIALIZATION_FAILURE || *s == SqlState::T_R_DEADLOCK_DETECTED)
}

fn sql_state(e: &StoreError) -> Option<&SqlState> {
    let StoreError::Backend(inner) = e else { return None };
    inner.downcast_ref::<tokio_postgres::Error>()?.code()
}

/// Gives the failures an operator or a client acts on their own variant.
pub(super) fn classify(e: StoreError, name: &str) -> StoreError {
    let StoreError::Backend(inner) = &e else { return e };
    let Some(pg) = inner.downcast_ref::<tokio_postgres::Error>() else { return e };
    let unavailable = |why: &str| StoreError::Unavailable(format!("{name} ({why})"));
    let Some(state) = pg.code() else {
        // No SQL state: the connection itself failed or was closed.
        return unavailable(&described(pg));
    };
    let class = &state.code()[..2];
    if class == "08" || class == "53" || class == "57" || *state == SqlState::LOCK_NOT_AVAILABLE {
        let why = if *state == SqlState::QUERY_CANCELED {
            "a statement took longer than the statement timeout"
        } else {
            "it is shutting down, restarting or overloaded"
        };
        return unavailable(why);
    }
    if *state == SqlState::UNIQUE_VIOLATION {
        return StoreError::rule(
            Rule::Conflict,
            "it exists already (another request added it at the same time): nothing was changed",
        );
    }
    e
}

/// A connection could not be had from the pool.
pub(super) fn pool(e: PoolError, name: &str) -> StoreError {
    match e {
        PoolError::Backend(pg) => classify(pg.into(), name),
        PoolError::Timeout(_) => {
            StoreError::Unavailable(format!("{name} (no connection became free or could be opened in time)"))
        }
        other => StoreError::Unavailable(format!("{name} ({other})")),
    }
}

#[cfg(test)]
mod tests {
    use super::{described, redacted};

    #[test]
    fn a_url_option_the_driver_lacks_is_named() {
        let refused = "postgres://u@db/c?sslcert=client.pem".parse::<tokio_postgres::Config>().unwrap_err();
        assert_eq!(described(&refused), "invalid connection string: unknown option `sslcert`");
    }

    #[test]
    fn passwords_are_left_out_of_store_names() {
        assert_eq!(redacted("postgres://app:s3cret@db:5432/commerce"), "postgres://app@db:5432/commerce");
        assert_eq!(
            redacted("postgres://db/commerce?password=s3cret&sslmode=disable"),
            "postgres://db/commerce?sslmode=disable"
        );
        assert_eq!(redacted("postgres://app@db/commerce"), "postgres://app@db/commerce");
    }
}
