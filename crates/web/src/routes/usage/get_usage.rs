use axum::extract::State;
use serde::Deserialize;
use switchboard_core::permission::Action;
use switchboard_core::usage::{Dimension, Window, parse_day, parse_dimensions};
use time::OffsetDateTime;
use utoipa::IntoParams;

use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::query::Query;
use crate::state::AppState;
use crate::views_usage::{UsageView, usage_report};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UsageQuery {
    /// The first day (`YYYY-MM-DD`, UTC); default: 29 days before `to`.
    pub(crate) from: Option<String>,
    /// The last day, included (`YYYY-MM-DD`, UTC); default: today.
    pub(crate) to: Option<String>,
    /// What to group by: `day`, `user`, `app`, `model`, comma-separated; default all four.
    pub(crate) group_by: Option<String>,
}

impl UsageQuery {
    /// The window and groupings asked for; a malformed one is a 422 saying what is expected.
    pub(crate) fn parse(&self, today: time::Date) -> Result<(Window, Vec<Dimension>), AppError> {
        let day = |raw: &Option<String>, name| {
            raw.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| parse_day(s, name))
                .transpose()
                .map_err(|e| AppError::invalid(e.to_string()))
        };
        let window = Window::new(day(&self.from, "from")?, day(&self.to, "to")?, today)
            .map_err(|e| AppError::invalid(e.to_string()))?;
        let dims = parse_dimensions(self.group_by.as_deref()).map_err(|e| AppError::invalid(e.to_string()))?;
        Ok((window, dims))
    }
}

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
