use switchboard_core::Email;
use switchboard_core::credentials::{issue_api_token, token_expiry};
use switchboard_core::name::token_name;
use switchboard_store::NewApiToken;
use time::OffsetDateTime;

use crate::config::Common;

/// `switchboard token create EMAIL`: print a new token, alone, on stdout.
pub(super) async fn create(
    common: &Common,
    email: &str,
    name: &str,
    expires_in_days: Option<u32>,
) -> anyhow::Result<()> {
    let email = Email::parse(email)?;
    // The API's rules: the same name and lifetime limits.
    let name = token_name(name)?;
    let expires_at = token_expiry(expires_in_days, OffsetDateTime::now_utc())
        .map_err(|e| anyhow::anyhow!("--expires-in-days: {e}"))?;
    let store = super::open_store(common).await?;
    let result = async {
        let user = store.user_by_email(&email).await?.ok_or_else(|| anyhow::anyhow!("no user with email {email}"))?;
        let issued = issue_api_token();
        store
            .create_api_token(NewApiToken {
                user_id: user.id,
                name,
                digest: issued.digest,
                hint: issued.hint,
                expires_at,
            })
            .await?;
        anyhow::Ok(issued.secret)
    }
    .await;
    store.close().await;
    println!("{}", result?.expose());
    Ok(())
}
