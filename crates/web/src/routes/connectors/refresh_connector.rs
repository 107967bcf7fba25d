use axum::extract::{Path, State};
use switchboard_core::catalog::Tool;
use switchboard_core::catalog_diff::diff;

use super::{connector_for, endpoint_of, open_session, upstream_failed};
use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
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
    let c = connector_for(&state, &actor, &id).await?;
    let endpoint = endpoint_of(&c)?;
    // A fresh handshake, as at creation; the kept session goes with the old catalog.
    state.sessions.evict(&c.id).await;
    let session = open_session(&state, &endpoint).await?;
    let listed = session.list_tools().await;
    let version = session.protocol_version().to_owned();
    session.close().await;
    let fresh = listed.map_err(|e| upstream_failed(&e))?;
    let current: Vec<Tool> = state.store.connector_tools(c.id).await?.into_iter().map(|t| t.tool).collect();
    let changes = diff(&current, &fresh);
    state.store.replace_tools(c.id, &fresh, &version).await?;
    tracing::info!(actor = %actor.user.id, connector = %c.id, added = changes.added.len(), removed = changes.removed.len(),
        changed = changes.changed.len(), "connector refreshed");
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
