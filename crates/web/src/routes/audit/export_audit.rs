use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use switchboard_core::permission::Action;

use super::filter::FilterQuery;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::query::Query;
use crate::state::AppState;
use crate::views_audit::AuditEntryView;

/// The audit trail as NDJSON, oldest first: one entry per line, every entry
/// committed when the export began that matches the filters. Owners, admins and
/// auditors only.
#[utoipa::path(get, path = "/api/v1/audit/export", tag = "audit", params(FilterQuery),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, description = "NDJSON: one `AuditEntryView` per line (the schema is the sequence of lines)",
        content_type = "application/x-ndjson", body = [AuditEntryView]),
    (status = 401),
    (status = 403, description = "members may not read the audit trail"),
    (status = 422, description = "a filter is malformed"),
))]
pub(crate) async fn export_audit(
    State(state): State<AppState>,
    actor: Actor,
    Query(filter): Query<FilterQuery>,
) -> ApiResult<Response> {
    actor.require(Action::ReadAudit)?;
    let filter = filter.parse()?;
    tracing::info!(actor = %actor.user.id, filter = ?filter, "audit export");
    let export = state.services.audit().export(filter).await?;
    let pages = futures::stream::unfold(Some(export), |export| async move {
        let mut export = export?;
        match export.next_page().await {
            Ok(Some(records)) => {
                let mut chunk = Vec::new();
                for record in records {
                    if let Err(e) = serde_json::to_writer(&mut chunk, &AuditEntryView::from(record)) {
                        return Some((Err(std::io::Error::other(e)), None));
                    }
                    chunk.push(b'\n');
                }
                Some((Ok(chunk), Some(export)))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "audit export stopped");
                Some((Err(std::io::Error::other("the export stopped; see the server log")), None))
            }
        }
    });
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], Body::from_stream(pages)).into_response())
}
