//! Who calls an administration route, and what they may do there. With sign-in the token
//! decides: the writer roles are admins, the reader roles read everything, and any other
//! signed-in user of the tenant acts on their own purchases only (found in the directory by
//! object id or principal name). Without sign-in the caller is the admin, unless
//! [`ACTING_USER_HEADER`] names a user of the directory.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use commerce_model::admin::{ACTING_USER_HEADER, NewUser, User, UserRef};

use crate::auth::Verified;
use crate::store::{Acting, Actor, ChangeContext};
use crate::{ApiError, AppState};

/// The caller of an administration route.
#[derive(Debug, Clone)]
pub(crate) enum Principal {
    /// Changes and reads everything.
    Admin,
    /// Reads everything, changes nothing.
    Reader,
    /// A user of the directory: buys, and sees and manages what they bought.
    User(User),
    /// A signed-in user not in the directory yet: added on their first purchase.
    Newcomer(NewUser),
}

const READ_ONLY: &str = "this caller may read but not change: changes need an admin (Global Administrator or \
     Billing Administrator, or the app role Policy.ReadWrite.AllowSelfServicePurchase)";
const ADMINS_ONLY: &str = "only admins may do this (Global Administrator or Billing Administrator, or the app role \
     Policy.ReadWrite.AllowSelfServicePurchase); a user manages the subscriptions they bought";

fn forbidden(message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "Forbidden", message)
}

impl Principal {
    /// Admins only.
    pub(crate) fn admin(&self) -> Result<(), ApiError> {
        match self {
            Self::Admin => Ok(()),
            Self::Reader => Err(forbidden(READ_ONLY)),
            _ => Err(forbidden(ADMINS_ONLY)),
        }
    }

    /// Admins and readers.
    pub(crate) fn reader(&self) -> Result<(), ApiError> {
        match self {
            Self::Admin | Self::Reader => Ok(()),
            _ => Err(forbidden(ADMINS_ONLY)),
        }
    }

    /// Who acts on a subscription: an admin, or a user on their own (a newcomer owns none).
    pub(crate) fn acting(&self) -> Result<Acting, ApiError> {
        match self {
            Self::Admin => Ok(Acting::Admin),
            Self::Reader => Err(forbidden(READ_ONLY)),
            Self::User(user) => Ok(Acting::User(user.id.clone())),
            Self::Newcomer(_) => Err(forbidden("you have bought nothing yet: a user manages their own subscriptions")),
        }
    }

    /// A change's context, attributed to the user the header named when no one signed in (a
    /// signed-in caller is the token's actor already).
    pub(crate) fn attributed(&self, mut ctx: ChangeContext, signed_in: bool) -> ChangeContext {
        if let (false, Self::User(user)) = (signed_in, self) {
            let upn = user.user_principal_name.clone();
            ctx.actor = Actor { name: upn.clone(), object_id: Some(user.id.clone()), app_id: None, upn: Some(upn) };
        }
        ctx
    }

    /// Whether the caller may see a subscription bought by `purchaser` (None: the tenant's).
    pub(crate) fn sees(&self, purchaser: Option<&UserRef>) -> bool {
        match self {
            Self::Admin | Self::Reader => true,
            Self::User(user) => {
                purchaser.is_some_and(|p| p.user_principal_name.eq_ignore_ascii_case(&user.user_principal_name))
            }
            Self::Newcomer(_) => false,
        }
    }

    /// Whose subscriptions a read shows: everyone's (None) or the user's own. A newcomer owns
    /// none: an id no user has.
    pub(crate) fn visible_to(&self) -> Option<String> {
        match self {
            Self::Admin | Self::Reader => None,
            Self::User(user) => Some(user.id.clone()),
            Self::Newcomer(_) => Some(String::new()),
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.signed_in {
            let verified = parts.extensions.get::<Verified>().cloned();
            let verified =
                verified.ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized", "sign-in required"))?;
            return signed_in(state, verified).await;
        }
        let Some(named) = parts.headers.get(ACTING_USER_HEADER) else { return Ok(Self::Admin) };
        let named = named.to_str().map_err(|_| ApiError::bad_request(format!("{ACTING_USER_HEADER} is not text")))?;
        match state.store.user(named.trim()).await? {
            Some(user) => Ok(Self::User(user)),
            None => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!(
                    "the acting user {} ({ACTING_USER_HEADER}) is not in the directory: add it first",
                    named.escape_debug()
                ),
            )),
        }
    }
}

/// A signed-in caller: by role, else the user of the directory the token names.
async fn signed_in(state: &AppState, verified: Verified) -> Result<Principal, ApiError> {
    if verified.grants.writes() {
        return Ok(Principal::Admin);
    }
    if verified.grants.reads() {
        return Ok(Principal::Reader);
    }
    let actor = verified.actor;
    for key in [&actor.object_id, &actor.upn].into_iter().flatten() {
        if let Some(user) = state.store.user(key).await? {
            return Ok(Principal::User(user));
        }
    }
    let (Some(upn), object_id) = (actor.upn, actor.object_id) else {
        return Err(forbidden(
            "this token names no user (no upn or preferred_username) and grants no admin role: an app needs the app \
             role Policy.ReadWrite.AllowSelfServicePurchase",
        ));
    };
    let id = object_id.filter(|id| uuid::Uuid::parse_str(id).is_ok());
    let display_name = verified.profile.display_name.unwrap_or_else(|| upn.clone());
    Ok(Principal::Newcomer(NewUser { id, user_principal_name: upn, display_name, mail: verified.profile.mail }))
}
