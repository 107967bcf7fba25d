use std::io::BufRead as _;

use anyhow::Context as _;
use switchboard_core::credentials::hash_password;
use switchboard_core::name::person_name;
use switchboard_core::{Email, Role, SecretString};
use switchboard_store::NewUser;

use crate::config::Common;

/// `switchboard user add EMAIL --role ROLE [--name NAME] --password-stdin`.
pub(super) async fn add(
    common: &Common,
    email: &str,
    role: &str,
    name: Option<&str>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let email = Email::parse(email)?;
    let role: Role = role.parse()?;
    // The API's rule for a given name; without one, the email's local part.
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(given) => person_name(given)?,
        None => email.as_str().split('@').next().unwrap_or_default().to_owned(),
    };
    let password_hash = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("cannot read the password from stdin")?;
        let password = SecretString::new(line.trim_end_matches(['\n', '\r']));
        Some(hash_password(&password)?)
    } else {
        None
    };
    let store = super::open_store(common).await?;
    let user = store.create_user(NewUser { email, name, role, password_hash }).await;
    store.close().await;
    let user = user?;
    println!("added {} {} ({})", user.role, user.email, user.id);
    Ok(())
}
