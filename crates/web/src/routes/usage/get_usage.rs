use axum::extract::State;
use switchboard_core::permission::Action;
use time::OffsetDateTime;

use super::query::UsageQuery;
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::query::Query;
use crate::state::AppState;
use crate::views_usage::{UsageView, usage_report};

/// Tokens in and out, turns, model steps and tool calls over a range of days
/// (the last 30 by default), in total and grouped by day, user, app and
/// model. Owners, admins and auditors only.
#[utoipa::path(get, path = "/api/v1/usage", tag = "usage", params(UsageQuery),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = UsageView),
    (status = 401),
    (status = 403, description = "members may not read the workspace's usage"),
    (status = 422, description = "`from`, `to` or `group_by` is malformed, or the range is reversed or longer than 366 days"),
))]
pub(crate) async fn get_usage(
    State(state): State<AppState>,
    actor: Actor,
    Query(query): Query<UsageQuery>,
) -> ApiResult<Json<UsageView>> {
    actor.require(Action::ReadUsage)?;
    let (window, dims) = query.parse(OffsetDateTime::now_utc().date())?;
    Ok(Json(usage_report(&state, &actor.user, window, &dims).await?))
}
