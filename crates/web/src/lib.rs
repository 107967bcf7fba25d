//! Switchboard's HTTP surface.
//!
//! [`app`] builds the whole router from an [`AppState`]; `main` (in the CLI crate)
//! only binds a socket and serves it, so tests drive the same router over a real
//! socket or with `tower::ServiceExt::oneshot`.
//!
//! Architecture invariant: only this crate knows HTTP routes, status codes and the
//! JSON shapes of the API. Permission decisions are delegated to
//! `switchboard_core::permission` and `switchboard_core::developer_mode`.

mod assets;
mod auth;
mod client_address;
mod config;
mod error;
mod json;
mod metrics;
mod middleware;
mod openapi;
mod openapi_errors;
mod pages;
mod query;
mod router;
mod routes;
mod session_cookie;
mod state;
mod views;
mod views_audit;
mod views_connectors;
mod views_conversations;
mod views_doctor;
mod views_elicitations;
mod views_governance;
mod views_usage;
mod views_widgets;

pub use client_address::{BadProxy, TrustedProxies};
pub use config::WebConfig;
pub use openapi::openapi_json;
pub use router::app;
pub use state::{AppState, SetupToken};
pub use views_doctor::DoctorView;
