//! The models people may choose: every provider's `/models`, asked at most once
//! per interval, so opening the chat does not cost a round trip to each provider.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_agent::Providers;
use tokio::sync::Mutex;

/// How long a list of models is kept before the providers are asked again.
const KEPT_FOR: Duration = Duration::from_secs(600);

/// What the providers answered.
#[derive(Clone, Debug, Default)]
pub struct ModelList {
    /// `provider/model`, each provider's sorted.
    pub models: Vec<String>,
    /// Providers that could not list their models, with the reason.
    pub unavailable: Vec<(String, String)>,
}

/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Models(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    providers: Providers,
    kept: Mutex<Option<(Instant, Arc<ModelList>)>>,
}

impl Models {
    pub(crate) fn new(providers: Providers) -> Self {
        Self(Arc::new(Inner { providers, kept: Mutex::new(None) }))
    }

    /// The models of every configured provider, from memory when asked within the
    /// last ten minutes and every provider answered. Callers asking at once wait
    /// for one round of requests.
    pub async fn list(&self) -> Arc<ModelList> {
        let mut kept = self.0.kept.lock().await;
        if let Some((at, list)) = kept.as_ref()
            && at.elapsed() < KEPT_FOR
        {
            return list.clone();
        }
        let (models, failed) = self.0.providers.models().await;
        for (provider, error) in &failed {
            tracing::warn!(provider, error = %error, "could not list a provider's models");
        }
        let list =
            Arc::new(ModelList { models, unavailable: failed.into_iter().map(|(p, e)| (p, e.to_string())).collect() });
        // A provider that failed is asked again next time.
        *kept = list.unavailable.is_empty().then(|| (Instant::now(), list.clone()));
        list
    }
}
