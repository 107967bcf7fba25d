//! The configured providers and the default model, and how a model name picks one.

use std::sync::Arc;

use super::ModelProvider;

/// Every configured provider, by name, and the workspace's default model.
#[derive(Clone, Debug, Default)]
pub struct Providers {
    providers: Vec<(String, Arc<dyn ModelProvider>)>,
    default_model: Option<String>,
}

/// A model name resolved to the provider that serves it.
#[derive(Clone, Debug)]
pub struct ResolvedModel {
    pub provider: Arc<dyn ModelProvider>,
    pub provider_name: String,
    /// The name the provider knows the model by.
    pub model: String,
}

impl ResolvedModel {
    /// `provider/model`, the name stored with a conversation.
    pub fn qualified(&self) -> String {
        format!("{}/{}", self.provider_name, self.model)
    }
}

/// Why a model name does not resolve.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelChoiceError {
    #[error("no model provider is configured; set OPENAI_API_KEY or ANTHROPIC_API_KEY (or a [providers] section)")]
    NoProviders,
    #[error("no model given and no default model; set SWITCHBOARD_MODEL or pick a model")]
    NoDefault,
    #[error("model {0:?} names no configured provider; write it as provider/model (providers: {1})")]
    Ambiguous(String, String),
}

impl Providers {
    pub fn new(default_model: Option<String>) -> Self {
        Self { providers: vec![], default_model }
    }

    /// Add a provider under `name` (a later one with the same name replaces it).
    pub fn with(mut self, name: impl Into<String>, provider: Arc<dyn ModelProvider>) -> Self {
        let name = name.into();
        self.providers.retain(|(n, _)| *n != name);
        self.providers.push((name, provider));
        self
    }

    pub fn default_model(&self) -> Option<&str> {
        self.default_model.as_deref()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.providers.iter().map(|(n, _)| n.as_str())
    }

    /// Every provider's models as `provider/model`, asked of all providers at
    /// once; a provider that fails is reported by name with its error.
    pub async fn models(&self) -> (Vec<String>, Vec<(String, super::ProviderError)>) {
        let asked = self.providers.iter().map(|(name, p)| async move { (name.clone(), p.models().await) });
        let mut models = vec![];
        let mut failed = vec![];
        for (name, answer) in futures::future::join_all(asked).await {
            match answer {
                Ok(ids) => models.extend(ids.into_iter().map(|id| format!("{name}/{id}"))),
                Err(e) => failed.push((name, e)),
            }
        }
        (models, failed)
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// `spec` (or the default model) as `provider/model`: the part before the first
    /// `/` names a provider when one has that name; otherwise the whole string is a
    /// model of the only provider (or of the default model's provider).
    pub fn resolve(&self, spec: Option<&str>) -> Result<ResolvedModel, ModelChoiceError> {
        if self.providers.is_empty() {
            return Err(ModelChoiceError::NoProviders);
        }
        let spec = spec.filter(|s| !s.trim().is_empty()).or(self.default_model()).ok_or(ModelChoiceError::NoDefault)?;
        if let Some((prefix, model)) = spec.split_once('/')
            && let Some((name, provider)) = self.providers.iter().find(|(n, _)| n == prefix)
        {
            return Ok(ResolvedModel { provider: provider.clone(), provider_name: name.clone(), model: model.into() });
        }
        let fallback = match (self.providers.as_slice(), self.default_model().and_then(|d| d.split_once('/'))) {
            ([only], _) => Some(only),
            (_, Some((prefix, _))) => self.providers.iter().find(|(n, _)| n == prefix),
            _ => None,
        };
        match fallback {
            Some((name, provider)) => {
                Ok(ResolvedModel { provider: provider.clone(), provider_name: name.clone(), model: spec.into() })
            }
            None => Err(ModelChoiceError::Ambiguous(spec.into(), self.names().collect::<Vec<_>>().join(", "))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;

    use super::*;
    use crate::model::ModelRequest;
    use crate::provider::{ModelStream, ProviderError};

    #[derive(Debug)]
    struct Nothing;

    impl ModelProvider for Nothing {
        fn stream(
            &self,
            _: ModelRequest,
        ) -> Pin<Box<dyn Future<Output = Result<ModelStream, ProviderError>> + Send + '_>> {
            Box::pin(async { Err(ProviderError::Cut) })
        }
    }

    fn providers(names: &[&str], default_model: Option<&str>) -> Providers {
        names.iter().fold(Providers::new(default_model.map(str::to_owned)), |p, name| p.with(*name, Arc::new(Nothing)))
    }

    #[test]
    fn model_names_resolve_to_a_provider() {
        let no_providers = Err(ModelChoiceError::NoProviders);
        // (providers, default model, model asked for, what it resolves to)
        type Case<'a> = (&'a [&'a str], Option<&'a str>, Option<&'a str>, Result<&'a str, ModelChoiceError>);
        let cases: &[Case<'_>] = &[
            (&[], Some("openai/gpt-4o"), Some("gpt-4o"), no_providers),
            (&["openai"], None, None, Err(ModelChoiceError::NoDefault)),
            (&["openai"], None, Some("  "), Err(ModelChoiceError::NoDefault)),
            (&["openai"], None, Some("openai/gpt-4o"), Ok("openai/gpt-4o")),
            (&["openai"], None, Some("gpt-4o"), Ok("openai/gpt-4o")),
            // The only provider serves names that contain a slash but name no provider.
            (&["local"], None, Some("meta-llama/Llama-3.1-8B"), Ok("local/meta-llama/Llama-3.1-8B")),
            (&["openai"], Some("openai/gpt-4o-mini"), None, Ok("openai/gpt-4o-mini")),
            (&["openai", "anthropic"], Some("anthropic/claude-sonnet-4-5"), None, Ok("anthropic/claude-sonnet-4-5")),
            (&["openai", "anthropic"], Some("anthropic/claude-sonnet-4-5"), Some("openai/o3"), Ok("openai/o3")),
            // A bare name goes to the default model's provider.
            (
                &["openai", "anthropic"],
                Some("anthropic/claude-sonnet-4-5"),
                Some("claude-haiku-4-5"),
                Ok("anthropic/claude-haiku-4-5"),
            ),
            (
                &["openai", "anthropic"],
                None,
                Some("gpt-4o"),
                Err(ModelChoiceError::Ambiguous("gpt-4o".into(), "openai, anthropic".into())),
            ),
        ];
        for (names, default_model, spec, expect) in cases {
            let got = providers(names, *default_model).resolve(*spec).map(|r| r.qualified());
            assert_eq!(got.as_deref(), expect.as_ref().map(|e| *e), "{names:?} {default_model:?} {spec:?}");
        }
    }

    #[test]
    fn a_later_provider_replaces_one_of_the_same_name() {
        let p = providers(&["openai", "anthropic", "openai"], None);
        assert_eq!(p.names().collect::<Vec<_>>(), ["anthropic", "openai"]);
        assert!(!p.is_empty());
        assert!(Providers::default().is_empty());
    }
}
