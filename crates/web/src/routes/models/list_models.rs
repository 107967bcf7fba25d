use axum::extract::State;

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::json::Json;
use crate::state::AppState;
use crate::views_conversations::{ModelsView, UnavailableProvider};

/// The configured providers, their models (`provider/model`, from each provider's
/// `/models`, kept for ten minutes) and the default model (the workspace's, else
/// the server's). Any other name may still be typed.
#[utoipa::path(get, path = "/api/v1/models", tag = "conversations", security(("session" = []), ("token" = [])),
    responses((status = 200, body = ModelsView)))]
pub(crate) async fn list_models(State(state): State<AppState>, _actor: Actor) -> ApiResult<Json<ModelsView>> {
    let providers = state.services.agent().providers();
    let listed = state.services.models().list().await;
    Ok(Json(ModelsView {
        providers: providers.names().map(str::to_owned).collect(),
        models: listed.models.clone(),
        unavailable: listed
            .unavailable
            .iter()
            .map(|(provider, message)| UnavailableProvider { provider: provider.clone(), message: message.clone() })
            .collect(),
        default_model: match state.services.workspace().default_model().await? {
            Some(model) => Some(model),
            None => providers.default_model().map(str::to_owned),
        },
    }))
}
