//! Static assets, compiled into the binary: one stylesheet, small ES modules and
//! two vendored libraries (Markdown, highlighting).

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::problem_response;
use crate::state::AppState;

const FILES: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("../static/app.css")),
    ("js/api.js", "text/javascript; charset=utf-8", include_str!("../static/js/api.js")),
    ("js/shell.js", "text/javascript; charset=utf-8", include_str!("../static/js/shell.js")),
    ("js/theme.js", "text/javascript; charset=utf-8", include_str!("../static/js/theme.js")),
    ("js/setup.js", "text/javascript; charset=utf-8", include_str!("../static/js/setup.js")),
    ("js/login.js", "text/javascript; charset=utf-8", include_str!("../static/js/login.js")),
    ("js/settings.js", "text/javascript; charset=utf-8", include_str!("../static/js/settings.js")),
    ("js/workspace.js", "text/javascript; charset=utf-8", include_str!("../static/js/workspace.js")),
    ("js/audit.js", "text/javascript; charset=utf-8", include_str!("../static/js/audit.js")),
    ("js/dom.js", "text/javascript; charset=utf-8", include_str!("../static/js/dom.js")),
    ("js/app.js", "text/javascript; charset=utf-8", include_str!("../static/js/app.js")),
    ("js/playground.js", "text/javascript; charset=utf-8", include_str!("../static/js/playground.js")),
    ("js/diff.js", "text/javascript; charset=utf-8", include_str!("../static/js/diff.js")),
    ("js/governance.js", "text/javascript; charset=utf-8", include_str!("../static/js/governance.js")),
    ("js/oauth.js", "text/javascript; charset=utf-8", include_str!("../static/js/oauth.js")),
    ("js/chat.js", "text/javascript; charset=utf-8", include_str!("../static/js/chat.js")),
    ("js/elicitation.js", "text/javascript; charset=utf-8", include_str!("../static/js/elicitation.js")),
    ("js/sse.js", "text/javascript; charset=utf-8", include_str!("../static/js/sse.js")),
    ("js/widget.js", "text/javascript; charset=utf-8", include_str!("../static/js/widget.js")),
    ("js/markdown.js", "text/javascript; charset=utf-8", include_str!("../static/js/markdown.js")),
    // Third-party, vendored as published on npm (see static/vendor/README.md).
    (
        "vendor/markdown-it.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/vendor/markdown-it.min.js"),
    ),
    ("vendor/highlight.min.js", "text/javascript; charset=utf-8", include_str!("../static/vendor/highlight.min.js")),
    ("favicon.svg", "image/svg+xml", include_str!("../static/favicon.svg")),
];

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/static/{*path}", get(serve))
        .route("/favicon.ico", get(|| serve(Path("favicon.svg".to_owned()))))
}

async fn serve(Path(path): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == path) {
        Some((_, content_type, body)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=300")], *body)
                .into_response()
        }
        None => problem_response(StatusCode::NOT_FOUND, "not_found", "no such static file"),
    }
}
