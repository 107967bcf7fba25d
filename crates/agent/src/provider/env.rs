//! Providers configured by environment variables alone.

use std::time::Duration;

use switchboard_core::SecretString;

use super::{ProviderConfig, ProviderKind};

pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// Retries of a 429 or a 5xx before an answer starts.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// `OPENAI_API_KEY` and/or `OPENAI_BASE_URL` make provider `openai` (a base URL
/// alone is enough for a local server such as Ollama); `ANTHROPIC_API_KEY` and/or
/// `ANTHROPIC_BASE_URL` make `anthropic`. Empty values count as unset.
pub fn configs_from_env(get: impl Fn(&str) -> Option<String>, timeout: Duration) -> Vec<ProviderConfig> {
    let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
    let known = [
        ("openai", ProviderKind::OpenAi, "OPENAI", DEFAULT_OPENAI_BASE_URL),
        ("anthropic", ProviderKind::Anthropic, "ANTHROPIC", DEFAULT_ANTHROPIC_BASE_URL),
    ];
    known
        .into_iter()
        .filter_map(|(name, kind, prefix, default_url)| {
            let key = get(&format!("{prefix}_API_KEY"));
            let base_url = get(&format!("{prefix}_BASE_URL"));
            if key.is_none() && base_url.is_none() {
                return None;
            }
            Some(ProviderConfig {
                name: name.to_owned(),
                kind,
                base_url: trim_base_url(base_url.as_deref().unwrap_or(default_url)),
                api_key: key.map(|k| SecretString::new(k.trim())),
                timeout,
                max_retries: DEFAULT_MAX_RETRIES,
            })
        })
        .collect()
}

/// A base URL without surrounding space or trailing slashes.
pub fn trim_base_url(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `vars` configure: `(name, base_url, has_key)` per provider.
    fn check(vars: &[(&str, &str)], expect: &[(&str, &str, bool)]) {
        let get = |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned());
        let configs = configs_from_env(get, Duration::from_secs(7));
        let got: Vec<(&str, &str, bool)> =
            configs.iter().map(|c| (c.name.as_str(), c.base_url.as_str(), c.api_key.is_some())).collect();
        assert_eq!(got, expect, "{vars:?}");
        assert!(configs.iter().all(|c| c.timeout == Duration::from_secs(7) && c.max_retries == DEFAULT_MAX_RETRIES));
    }

    #[test]
    fn environment_variables_make_providers() {
        check(&[], &[]);
        check(&[("OPENAI_API_KEY", "sk-1")], &[("openai", "https://api.openai.com/v1", true)]);
        check(&[("OPENAI_BASE_URL", "http://localhost:11434/v1/")], &[("openai", "http://localhost:11434/v1", false)]);
        check(&[("ANTHROPIC_API_KEY", "k")], &[("anthropic", "https://api.anthropic.com", true)]);
        check(
            &[("OPENAI_API_KEY", "a"), ("ANTHROPIC_API_KEY", "b"), ("ANTHROPIC_BASE_URL", "http://proxy:9/")],
            &[("openai", "https://api.openai.com/v1", true), ("anthropic", "http://proxy:9", true)],
        );
        check(&[("OPENAI_API_KEY", ""), ("ANTHROPIC_API_KEY", "  ")], &[]);
    }
}
