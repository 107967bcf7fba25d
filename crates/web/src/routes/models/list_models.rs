use axum::extract::State;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_conversations::ModelsView;

/// The configured providers and the default model (the workspace's, else the server's).
#[utoipa::path(get, path = "/api/v1/models", tag = "conversations", security(("session" = []), ("token" = [])),
    responses((status = 200, body = ModelsView)))]
pub(crate) async fn list_models(State(state): State<AppState>, _actor: Actor) -> ApiResult<Json<ModelsView>> {
    let providers = state.services.agent().providers();
    Ok(Json(ModelsView {
        providers: providers.names().map(str::to_owned).collect(),
        default_model: match state.store.default_model().await? {
            Some(model) => Some(model),
            None => providers.default_model().map(str::to_owned),
        },
    }))
}
