use axum::extract::State;
use serde::Deserialize;
use switchboard_core::permission::Action;
use utoipa::IntoParams;

use super::filter::FilterQuery;
use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::query::Query;
use crate::state::AppState;
use crate::views_audit::AuditPageView;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// Entries per page, 1 to 500 (default 50).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// The audit trail, newest first, a page at a time: tool calls, decisions and
/// admin changes. Owners, admins and auditors only.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(FilterQuery, PageQuery),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = AuditPageView),
    (status = 401),
    (status = 403, description = "members may not read the audit trail"),
    (status = 422, description = "a filter, `limit` or `cursor` is malformed"),
))]
pub(crate) async fn list_audit(
    State(state): State<AppState>,
    actor: Actor,
    Query(filter): Query<FilterQuery>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<AuditPageView>> {
    actor.require(Action::ReadAudit)?;
    let filter = filter.parse()?;
    let limit = match page.limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => DEFAULT_LIMIT,
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| AppError::invalid(format!("limit must be a whole number from 1 to {MAX_LIMIT}")))?,
    };
    let before = match page.cursor.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| AppError::invalid("cursor is not one this API gave; start again without it"))?,
        ),
    };
    let page = state.services.audit().page(&filter, before, limit).await?;
    Ok(Json(AuditPageView::from(page)))
}
