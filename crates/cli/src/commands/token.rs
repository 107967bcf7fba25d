use switchboard_core::Email;
use switchboard_core::credentials::{issue_api_token, token_lifetime};
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
    let lifetime = token_lifetime(expires_in_days).map_err(|e| anyhow::anyhow!("--expires-in-days: {e}"))?;
    let store = super::open_store(common).await?;
    let result = async {
        let user = store.user_by_email(&email).await?.ok_or_else(|| anyhow::anyhow!("no user with email {email}"))?;
        let issued = issue_api_token();
        store
            .create_api_token(NewApiToken {
                user_id: user.id,
                name: name.to_owned(),
                digest: issued.digest,
                hint: issued.hint,
                expires_at: lifetime.map(|l| OffsetDateTime::now_utc() + l),
            })
            .await?;
        anyhow::Ok(issued.secret)
    }
    .await;
    store.close().await;
    println!("{}", result?.expose());
    Ok(())
}
