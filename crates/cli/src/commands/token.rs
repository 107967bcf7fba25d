use std::time::Duration;

use switchboard_core::Email;
use switchboard_core::credentials::{new_api_token, token_digest};
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
    if let Some(days) = expires_in_days {
        anyhow::ensure!((1..=3650).contains(&days), "--expires-in-days must be between 1 and 3650");
    }
    let store = super::open_store(common).await?;
    let result = async {
        let user = store.user_by_email(&email).await?.ok_or_else(|| anyhow::anyhow!("no user with email {email}"))?;
        let secret = new_api_token();
        let hint = secret.expose()[secret.expose().len() - 4..].to_owned();
        let expires_at =
            expires_in_days.map(|d| OffsetDateTime::now_utc() + Duration::from_secs(u64::from(d) * 86_400));
        store
            .create_api_token(NewApiToken {
                user_id: user.id,
                name: name.to_owned(),
                digest: token_digest(&secret),
                hint,
                expires_at,
            })
            .await?;
        anyhow::Ok(secret)
    }
    .await;
    store.close().await;
    println!("{}", result?.expose());
    Ok(())
}
