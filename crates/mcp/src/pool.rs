//! Live sessions kept between calls, one per key (a connector).
//!
//! Connecting costs a handshake (and, for a local command, a process start);
//! a call on a kept session costs one request. A kept session is used again
//! only while it is open and was made for the same endpoint and the same
//! options (so a changed address policy or timeout takes effect on the next
//! call); otherwise it is closed and replaced. Sessions idle for longer than the
//! pool's idle time are closed by [`SessionPool::close_idle`].
//!
//! Calls are never retried here: a tool call may have effects.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::endpoint::Endpoint;
use crate::error::McpError;
use crate::options::ClientOptions;
use crate::session::Session;

/// Sessions by key. Connecting one key never waits for another.
#[derive(Debug)]
pub struct SessionPool<K> {
    slots: Mutex<HashMap<K, Arc<tokio::sync::Mutex<Option<Kept>>>>>,
    idle: Duration,
}

#[derive(Debug)]
struct Kept {
    session: Arc<Session>,
    endpoint: Endpoint,
    options: ClientOptions,
    last_used: Instant,
}

impl<K: Hash + Eq + Clone> SessionPool<K> {
    /// A pool that closes sessions unused for `idle`.
    pub fn new(idle: Duration) -> Self {
        Self { slots: Mutex::new(HashMap::new()), idle }
    }

    /// The kept session for `key`, or a new one when there is none, it closed,
    /// or it was made for another endpoint or other options.
    pub async fn session(
        &self,
        key: &K,
        endpoint: &Endpoint,
        options: &ClientOptions,
    ) -> Result<Arc<Session>, McpError> {
        let slot = self.lock().entry(key.clone()).or_default().clone();
        let mut kept = slot.lock().await;
        if let Some(k) = kept.as_mut()
            && k.session.is_open()
            && k.endpoint == *endpoint
            && k.options == *options
        {
            k.last_used = Instant::now();
            return Ok(k.session.clone());
        }
        if let Some(stale) = kept.take() {
            close_later(stale.session);
        }
        let session = Arc::new(Session::connect(endpoint, options).await?);
        *kept = Some(Kept {
            session: session.clone(),
            endpoint: endpoint.clone(),
            options: options.clone(),
            last_used: Instant::now(),
        });
        Ok(session)
    }

    /// Forget the session for `key` (the connector changed or is gone) and close it.
    pub async fn evict(&self, key: &K) {
        let slot = self.lock().remove(key);
        if let Some(slot) = slot
            && let Some(kept) = slot.lock().await.take()
        {
            close_later(kept.session);
        }
    }

    /// Forget and close the sessions of every key that `matches` (say, one
    /// connector's sessions of every user).
    pub async fn evict_matching(&self, matches: impl Fn(&K) -> bool) {
        let keys: Vec<K> = self.lock().keys().filter(|k| matches(k)).cloned().collect();
        for key in keys {
            self.evict(&key).await;
        }
    }

    /// Close the sessions nobody used for longer than the idle time.
    pub async fn close_idle(&self) {
        let slots: Vec<_> = self.lock().values().cloned().collect();
        for slot in slots {
            let Ok(mut kept) = slot.try_lock() else { continue }; // in use or connecting: not idle
            if kept.as_ref().is_some_and(|k| k.last_used.elapsed() > self.idle)
                && let Some(k) = kept.take()
            {
                close_later(k.session);
            }
        }
    }

    /// Close every session (the server is stopping).
    pub async fn close_all(&self) {
        let slots: Vec<_> = self.lock().drain().map(|(_, slot)| slot).collect();
        for slot in slots {
            if let Some(kept) = slot.lock().await.take() {
                match Arc::try_unwrap(kept.session) {
                    Ok(session) => session.close().await,
                    Err(shared) => drop(shared), // a call still holds it: it ends when that call does
                }
            }
        }
    }

    /// How many sessions are kept open.
    pub async fn open_count(&self) -> usize {
        let slots: Vec<_> = self.lock().values().cloned().collect();
        let mut open = 0;
        for slot in slots {
            open += usize::from(slot.lock().await.is_some());
        }
        open
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Arc<tokio::sync::Mutex<Option<Kept>>>>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Close a session once the calls still using it are done.
fn close_later(session: Arc<Session>) {
    tokio::spawn(async move {
        // Calls in flight hold clones; wait for them, bounded by the longest call.
        let mut session = session;
        for _ in 0..600 {
            match Arc::try_unwrap(session) {
                Ok(owned) => return owned.close().await,
                Err(shared) => session = shared,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}
