//! Personal API tokens: each person creates, lists and revokes their own.

use serde_json::json;
use switchboard_core::credentials::{issue_api_token, token_expiry};
use switchboard_core::name::token_name;
use switchboard_core::permission::Action;
use switchboard_core::{AuditKind, SecretString, TokenId};
use switchboard_store::{ApiToken, NewApiToken, User};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::Accounts;
use crate::error::{Result, ServiceError};
use crate::policy::require;

/// A token just created: the only time its secret is known.
#[derive(Debug)]
pub struct NewToken {
    pub token: ApiToken,
    pub secret: SecretString,
}

impl Accounts {
    /// `actor`'s API tokens (never the tokens themselves).
    pub async fn tokens(&self, actor: &User) -> Result<Vec<ApiToken>> {
        require(actor, Action::ManageOwnTokens)?;
        Ok(self.store.list_api_tokens(actor.id).await?)
    }

    /// Create a token for `actor`, living `expires_in_days` days (`None`: until revoked).
    pub async fn create_token(&self, actor: &User, name: &str, expires_in_days: Option<u32>) -> Result<NewToken> {
        require(actor, Action::ManageOwnTokens)?;
        let name = token_name(name).map_err(ServiceError::invalid)?;
        let expires_at = token_expiry(expires_in_days, OffsetDateTime::now_utc())
            .map_err(|e| ServiceError::Invalid(format!("expires_in_days: {e}")))?;
        let issued = issue_api_token();
        let new = NewApiToken { user_id: actor.id, name, digest: issued.digest, hint: issued.hint, expires_at };
        let token = self.store.create_api_token(new).await?;
        tracing::info!(user = %actor.id, token = %token.id, "api token created");
        // The name and id only: never the token or its digest.
        let expires_at = token.expires_at.and_then(|t| t.format(&Rfc3339).ok());
        let detail = json!({"token": {"id": token.id, "name": token.name, "expires_at": expires_at}});
        self.record(actor, AuditKind::TokenCreated, detail).await?;
        Ok(NewToken { token, secret: issued.secret })
    }

    /// Revoke one of `actor`'s tokens; the next request that sends it is refused.
    pub async fn revoke_token(&self, actor: &User, id: &str) -> Result<()> {
        require(actor, Action::ManageOwnTokens)?;
        let id: TokenId = id.parse().map_err(|_| ServiceError::not_found("token"))?;
        let name = self.store.list_api_tokens(actor.id).await?.into_iter().find(|t| t.id == id).map(|t| t.name);
        self.store.delete_api_token(actor.id, id).await?;
        tracing::info!(user = %actor.id, token = %id, "api token revoked");
        self.record(actor, AuditKind::TokenRevoked, json!({"token": {"id": id, "name": name}})).await
    }
}
