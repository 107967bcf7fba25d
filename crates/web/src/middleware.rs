//! Middleware applied to every request: DNS-rebinding and cross-origin guards,
//! security headers, metrics and the access log.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::AppError;
use crate::state::AppState;

/// Paths probed by load balancers and scrapers, which address the server by IP.
pub(crate) fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// Refuse requests whose `Host` is not this server (DNS rebinding), and
/// state-changing requests sent from another origin.
pub(crate) async fn guard_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let headers = request.headers();
    if !is_probe(request.uri().path()) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        if !state.config.host_allowed(host) {
            return Err(AppError::new(
                StatusCode::MISDIRECTED_REQUEST,
                "host_not_allowed",
                format!(
                    "this server does not answer to host {host:?}; reach it through {} or add the host to allowed_hosts",
                    state.config.public_url
                ),
            ));
        }
    }
    if !request.method().is_safe() {
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            let allowed = crate::config::authority_of(origin).is_some_and(|a| state.config.host_allowed(&a));
            if !allowed {
                return Err(AppError::forbidden(
                    "cross_origin",
                    format!("requests that change state must come from {}", state.config.public_url),
                ));
            }
        }
        if headers.get("sec-fetch-site").is_some_and(|v| v == "cross-site") {
            return Err(AppError::forbidden("cross_origin", "cross-site requests may not change state"));
        }
    }
    Ok(next.run(request).await)
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self'; connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                   base-uri 'none'";

/// Strict headers on every response; `no-store` unless the handler chose caching,
/// [`CSP`] unless it chose its own policy. Every page keeps [`CSP`]: an image in an
/// answer is a link that opens in a new tab, never loaded on the page.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.entry(header::X_FRAME_OPTIONS).or_insert(HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Count and time each request by its route template, and log it without its
/// query string (a setup link carries its token there).
pub(crate) async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.record(&method, &route, status, elapsed);
    tracing::info!(target: "switchboard::http", %method, %path, %route, status, micros = elapsed.as_micros() as u64, "request");
    response
}
