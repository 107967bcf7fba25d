use axum::extract::{Path, State};
use switchboard_core::catalog::Tool;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::routes::parse_id;
use crate::state::AppState;
use crate::views_connectors::{CatalogDiffView, FieldChangeView, ToolChangeView};

/// List the server's tools again and report what changed, field by field.
/// A draft takes the new catalog at once.
#[utoipa::path(post, path = "/api/v1/connectors/{id}/refresh", tag = "connectors", params(("id" = Uuid, Path)),
    security(("session" = []), ("token" = [])), responses(
    (status = 200, body = CatalogDiffView),
    (status = 404, body = crate::error::Problem),
    (status = 422, description = "the server could not be reached (`details.steps`)", body = crate::error::Problem),
))]
pub(crate) async fn refresh_connector(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<CatalogDiffView>> {
    let changes = state.services.connectors().refresh(&actor.user, parse_id(&id, "connector")?).await?;
    let value = |t: &Tool| serde_json::to_value(t).unwrap_or_default();
    Ok(Json(CatalogDiffView {
        added: changes.added.iter().map(value).collect(),
        removed: changes.removed.iter().map(value).collect(),
        changed: changes
            .changed
            .into_iter()
            .map(|c| ToolChangeView {
                tool: c.tool,
                fields: c
                    .fields
                    .into_iter()
                    .map(|f| FieldChangeView { field: f.field, before: f.before, after: f.after })
                    .collect(),
            })
            .collect(),
        applied: true,
    }))
}
