//! The end-to-end suite, one module per subject, all in one test binary: the harness is linked
//! once instead of once per file, which makes a rebuild after a harness change about four times
//! faster. Run one subject with `cargo test -p commerce-e2e --test e2e cli::`.

mod admin_access;
mod admin_auth;
mod admin_conditional;
mod admin_endpoints;
mod admin_export;
mod admin_mail;
mod admin_mail_tls;
mod admin_rules;
mod admin_support;
mod admin_users;
mod baseline;
mod baseline_offer_types;
mod browser_sign_in;
mod byte_order_marks;
mod cli;
mod cli_conventions;
mod cli_safety;
mod cli_scope;
mod client_faults;
mod connection_choice;
mod endpoint_choice;
mod graph_bench;
mod graph_detection;
mod graph_licenses;
mod graph_subscriptions;
mod log_format;
mod module_admin;
mod module_manifest;
mod module_output;
mod module_parameter_sets;
mod module_parameters;
mod module_syntax;
mod oidc_provider;
mod postgres_outbox;
mod postgres_replicas;
mod postgres_tls;
mod resilience;
mod service_auth;
mod service_limits;
mod service_ops;
mod sign_in;
mod wire;
