//! The routes of the v1.0 API, listed once: the router and the OpenAPI document are both
//! made from the table in [`v1_routes`]; the handlers are in `handlers.rs`.

use axum::Json;
use commerce_model::Scope;
use commerce_model::admin::{CancellationReason, IMPORT_BODY_LIMIT};
use commerce_model::wire::ErrorBody;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::cache::{self, CacheLayer};
use crate::handlers::*;
use crate::handlers_admin::*;
use crate::handlers_operations::*;
use crate::limits::MAX_BODY_BYTES;
use crate::{ApiError, AppState, ServiceConfig, auth, health, metrics, middleware};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "commerce-policy v1.0 API",
        description = "Self-service purchase policies, wire-compatible with Microsoft's licensing service (licensing.m365.microsoft.com/v1.0)."
    ),
    components(schemas(ErrorBody, Scope, CancellationReason))
)]
struct ApiDoc;

/// The security scheme's name in the OpenAPI document.
const BEARER: &str = "bearer";

/// The document, declaring the bearer scheme; with `required`, every v1.0 operation needs it
/// (a service without sign-in does not say so, or clients would be told to send tokens).
pub(crate) fn openapi(required: bool) -> utoipa::openapi::OpenApi {
    let mut doc = all_routes().split_for_parts().1;
    declare_bearer(&mut doc, required);
    doc
}

fn declare_bearer(doc: &mut utoipa::openapi::OpenApi, required: bool) {
    use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
    let scheme = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("JWT")
        .description(Some(
            "An Entra ID (or other OpenID provider) access token for the service's audience; app roles \
             Policy.Read/ReadWrite.AllowSelfServicePurchase or the Global Reader, Billing Administrator or \
             Global Administrator directory roles.",
        ))
        .build();
    doc.components.get_or_insert_with(Default::default).add_security_scheme(BEARER, SecurityScheme::Http(scheme));
    if required {
        doc.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
    }
}

/// Every route of the v1.0 API, in one table: the policies' routes (whose callers need a
/// policy role) and the administration's (where a signed-in user acts on their own).
fn v1_routes() -> (OpenApiRouter<AppState>, OpenApiRouter<AppState>) {
    let policies = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_policies))
        .routes(routes!(get_policy))
        .routes(routes!(list_values))
        .routes(routes!(get_product_policy, put_product_policy))
        .routes(routes!(get_offer_type_policy, put_offer_type_policy))
        .routes(routes!(list_audit));
    let administration = OpenApiRouter::new()
        .routes(routes!(list_users, add_user))
        .routes(routes!(purchase))
        .routes(routes!(list_subscriptions, add_subscription))
        .routes(routes!(get_subscription))
        .routes(routes!(assign))
        .routes(routes!(unassign))
        .routes(routes!(cancel))
        .routes(routes!(take_over))
        .routes(routes!(centralize))
        .routes(routes!(list_licenses))
        .routes(routes!(license_holders))
        .routes(routes!(list_notifications))
        .routes(routes!(list_admin_audit))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        // Added after the layer above: a directory's import is the one large body.
        .routes(
            routes!(import_users)
                .layer::<_, std::convert::Infallible>(RequestBodyLimitLayer::new(IMPORT_BODY_LIMIT))
                .layer::<_, std::convert::Infallible>(axum::extract::DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        );
    (policies.layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES)), administration)
}

/// The whole table as one router, for its document.
fn all_routes() -> OpenApiRouter<AppState> {
    let (policies, administration) = v1_routes();
    policies.merge(administration)
}

pub(crate) fn router(state: AppState, config: &ServiceConfig) -> axum::Router {
    let (policies, administration) = v1_routes();
    let (mut v1, _) = policies.split_for_parts();
    let (mut admin, _) = administration.split_for_parts();
    let mut doc = all_routes().split_for_parts().1;
    declare_bearer(&mut doc, config.auth.is_some());
    // Innermost, so what the cache answers has passed the simulation and the token check.
    let cache = |serves| CacheLayer { cache: state.cache.clone(), serves };
    v1 = v1.layer(axum::middleware::from_fn_with_state(cache(true), cache::cached));
    admin = admin.layer(axum::middleware::from_fn_with_state(cache(false), cache::cached));
    if config.simulation.is_active() {
        let simulation = axum::middleware::from_fn_with_state(config.simulation.clone(), middleware::simulate);
        v1 = v1.layer(simulation.clone());
        admin = admin.layer(simulation);
    }
    // Outside the simulation: a request without a valid token is refused before anything else.
    if let Some(auth) = &config.auth {
        v1 = v1.layer(axum::middleware::from_fn_with_state(auth.clone(), auth::require_token));
        admin = admin.layer(axum::middleware::from_fn_with_state(auth.clone(), auth::require_sign_in));
    }
    let v1 = v1.merge(admin);
    let doc = serde_json::to_value(&doc).unwrap_or_default();
    let metrics = state.metrics.clone();
    v1.route("/healthz", axum::routing::get(health::healthz))
        .route("/readyz", axum::routing::get(health::readyz))
        .route("/metrics", axum::routing::get(metrics::metrics))
        .route("/openapi.json", axum::routing::get(move || async move { Json(doc) }))
        .fallback(not_found)
        .with_state(state)
        // Each router bounds its own bodies; this bounds the rest (the fallback's).
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES.max(IMPORT_BODY_LIMIT)))
        .layer(TimeoutLayer::with_status_code(http::StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(axum::middleware::from_fn(middleware::bounded_target))
        .layer(axum::middleware::from_fn(middleware::correlation))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::record))
}

async fn not_found() -> ApiError {
    ApiError::new(http::StatusCode::NOT_FOUND, "NotFound", "no such route: see /openapi.json for the API")
}
