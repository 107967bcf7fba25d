//! Providers configured by environment variables alone.

use std::time::Duration;

use switchboard_core::SecretString;

use super::{ProviderConfig, ProviderKind, Providers, build};

pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// Retries of a 429 or a 5xx before an answer starts.
pub const DEFAULT_MAX_RETRIES: u32 = 2;

/// `OPENAI_API_KEY` and/or `OPENAI_BASE_URL` make provider `openai` (a base URL
/// alone is enough for a local server such as Ollama); `ANTHROPIC_API_KEY` and/or
/// `ANTHROPIC_BASE_URL` make `anthropic`; `SWITCHBOARD_MODEL` is the default model.
/// Empty values count as unset.
pub fn providers_from_env(get: impl Fn(&str) -> Option<String>, timeout: Duration) -> Providers {
    let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
    let default_model = get("SWITCHBOARD_MODEL");
    configs_from_env(get, timeout)
        .into_iter()
        .fold(Providers::new(default_model), |providers, config| providers.with(config.name.clone(), build(config)))
}

/// The provider configurations [`providers_from_env`] builds from.
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

    /// What `vars` configure: `(name, base_url, has_key)` per provider, and the default model.
    fn check(vars: &[(&str, &str)], expect: &[(&str, &str, bool)], default_model: Option<&str>) {
        let get = |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned());
        let configs = configs_from_env(get, Duration::from_secs(7));
        let got: Vec<(&str, &str, bool)> =
            configs.iter().map(|c| (c.name.as_str(), c.base_url.as_str(), c.api_key.is_some())).collect();
        assert_eq!(got, expect, "{vars:?}");
        assert!(configs.iter().all(|c| c.timeout == Duration::from_secs(7) && c.max_retries == DEFAULT_MAX_RETRIES));
        let providers = providers_from_env(get, Duration::from_secs(7));
        assert_eq!(providers.default_model(), default_model, "{vars:?}");
        assert_eq!(providers.names().collect::<Vec<_>>(), expect.iter().map(|e| e.0).collect::<Vec<_>>());
    }

    #[test]
    fn environment_variables_make_providers() {
        check(&[], &[], None);
        check(&[("OPENAI_API_KEY", "sk-1")], &[("openai", "https://api.openai.com/v1", true)], None);
        check(
            &[("OPENAI_BASE_URL", "http://localhost:11434/v1/"), ("SWITCHBOARD_MODEL", "llama3.1:8b")],
            &[("openai", "http://localhost:11434/v1", false)],
            Some("llama3.1:8b"),
        );
        check(&[("ANTHROPIC_API_KEY", "k")], &[("anthropic", "https://api.anthropic.com", true)], None);
        check(
            &[("OPENAI_API_KEY", "a"), ("ANTHROPIC_API_KEY", "b"), ("ANTHROPIC_BASE_URL", "http://proxy:9/")],
            &[("openai", "https://api.openai.com/v1", true), ("anthropic", "http://proxy:9", true)],
            None,
        );
        check(&[("OPENAI_API_KEY", ""), ("ANTHROPIC_API_KEY", "  "), ("SWITCHBOARD_MODEL", "")], &[], None);
    }
}
