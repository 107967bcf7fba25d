use axum::extract::State;
use axum::http::StatusCode;
use switchboard_core::ConnectorId;
use switchboard_core::conversation::Mode;
use switchboard_core::permission::Action;
use switchboard_service::ServiceError;
use switchboard_store::NewConversation;

use crate::auth::Actor;
use crate::error::{ApiResult, AppError};
use crate::json::Json;
use crate::state::AppState;
use crate::views_conversations::{ConversationView, CreateConversationRequest};

/// Start a conversation with the chosen connectors, model and mode.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "conversations", request_body = CreateConversationRequest,
    security(("session" = []), ("token" = [])), responses(
    (status = 201, body = ConversationView),
    (status = 404, description = "a connector is unknown or not yours to use"),
    (status = 422, description = "no such model, or no provider configured; without `model`, the workspace's default model is used, else the server's"),
))]
pub(crate) async fn create_conversation(
    State(state): State<AppState>,
    actor: Actor,
    Json(body): Json<CreateConversationRequest>,
) -> ApiResult<(StatusCode, Json<ConversationView>)> {
    actor.require(Action::Converse)?;
    let requested = match body.model.filter(|m| !m.trim().is_empty()) {
        Some(m) => Some(m),
        None => state.store.default_model().await?,
    };
    let model = state
        .services
        .agent()
        .providers()
        .resolve(requested.as_deref())
        .map_err(|e| AppError::invalid(e.to_string()))?;
    let mode = body.mode.0;
    let mut connectors: Vec<ConnectorId> = vec![];
    if mode != Mode::Knowledge {
        for raw in body.connectors {
            let id = ConnectorId::from(raw);
            match state.services.connectors().usable(&actor.user, id).await {
                Err(ServiceError::NotFound(_)) => {
                    return Err(AppError::not_found(format!("connector {raw} not found")));
                }
                found => found?,
            };
            if !connectors.contains(&id) {
                connectors.push(id);
            }
        }
    }
    let c = state
        .store
        .create_conversation(NewConversation {
            owner_id: actor.user.id,
            title: "New conversation".into(),
            model: model.qualified(),
            mode,
            connectors,
        })
        .await?;
    Ok((StatusCode::CREATED, Json((&c).into())))
}
