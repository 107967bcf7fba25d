//! Live sessions kept between calls, one per key (a user's connector, say), at
//! most [`PoolLimits::max_sessions`] of them.
//!
//! Connecting costs a handshake (and, for a local command, a process start);
//! a call on a kept session costs one request. A kept session is used again
//! only while it is open and was made for the same endpoint and the same
//! options (so a changed address policy or timeout takes effect on the next
//! call); otherwise it is closed and replaced. When the pool is full, the session
//! used least recently is closed to make room. Sessions idle for longer than
//! [`PoolLimits::idle`] are closed by [`SessionPool::close_idle`].
//!
//! Calls through [`SessionPool::call_tool`] are sent again only when the server
//! refused them without running them because it no longer knows the session
//! ([`McpError::SessionExpired`]): then, once, on a new session. Every other
//! failure is final, since a tool call may have effects.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use switchboard_core::catalog::Tool;

use crate::endpoint::Endpoint;
use crate::error::McpError;
use crate::options::ClientOptions;
use crate::recording::ProgressWatcher;
use crate::session::{UpstreamOutcome, UpstreamSession};
use crate::tasks::CallWatch;

/// How many sessions a pool keeps, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolLimits {
    /// Sessions unused for longer are closed by [`SessionPool::close_idle`].
    pub idle: Duration,
    /// At most this many sessions are kept; the least recently used one is
    /// closed to make room for a new one. Zero is treated as one.
    pub max_sessions: usize,
}

impl Default for PoolLimits {
    fn default() -> Self {
        Self { idle: Duration::from_secs(300), max_sessions: 256 }
    }
}

type Cell = Arc<tokio::sync::Mutex<Option<Kept>>>;

/// Sessions by key. Connecting one key never waits for another.
#[derive(Debug)]
pub struct SessionPool<K> {
    slots: Mutex<HashMap<K, Slot>>,
    limits: PoolLimits,
}

#[derive(Debug)]
struct Slot {
    cell: Cell,
    /// When the slot's session was last handed out (or the slot made).
    used: Instant,
}

#[derive(Debug)]
struct Kept {
    session: Arc<UpstreamSession>,
    endpoint: Endpoint,
    options: ClientOptions,
    last_used: Instant,
}

impl<K: Hash + Eq + Clone> SessionPool<K> {
    pub fn new(limits: PoolLimits) -> Self {
        Self { slots: Mutex::new(HashMap::new()), limits }
    }

    /// The kept session for `key`, or a new one when there is none, it closed,
    /// or it was made for another endpoint or other options. Making a new one in
    /// a full pool closes the session used least recently.
    pub async fn session(
        &self,
        key: &K,
        endpoint: &Endpoint,
        options: &ClientOptions,
    ) -> Result<Arc<UpstreamSession>, McpError> {
        let (cell, evicted) = self.slot(key);
        if let Some(evicted) = evicted {
            close_cell_later(evicted);
        }
        let mut kept = cell.lock().await;
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
        let session = Arc::new(UpstreamSession::connect(endpoint, options).await?);
        *kept = Some(Kept {
            session: session.clone(),
            endpoint: endpoint.clone(),
            options: options.clone(),
            last_used: Instant::now(),
        });
        Ok(session)
    }

    /// Call a tool on the kept session for `key` (connecting when needed). When the
    /// server answers that it no longer knows the session, the session is replaced
    /// and the same request sent once more: the server refused it without running
    /// it. Any other failure is returned as it is; one other than a timeout may be
    /// the session's own, so the session is dropped and the next call starts anew.
    pub async fn call_tool(
        &self,
        key: &K,
        endpoint: &Endpoint,
        options: &ClientOptions,
        name: &str,
        arguments: Map<String, Value>,
        watcher: Option<ProgressWatcher>,
    ) -> Result<UpstreamOutcome, McpError> {
        let session = self.session(key, endpoint, options).await?;
        self.call_tool_on(key, session, endpoint, options, name, arguments, CallWatch::from(watcher)).await
    }

    /// [`SessionPool::call_tool`] on `session`, the kept session for `key` its
    /// caller already has (say, to tell a failure to connect from one to call).
    #[allow(clippy::too_many_arguments)]
    pub async fn call_tool_on(
        &self,
        key: &K,
        session: Arc<UpstreamSession>,
        endpoint: &Endpoint,
        options: &ClientOptions,
        name: &str,
        arguments: Map<String, Value>,
        watch: CallWatch,
    ) -> Result<UpstreamOutcome, McpError> {
        let outcome = session.call_tool_with(name, arguments.clone(), &watch).await;
        let outcome = match outcome {
            Err(McpError::SessionExpired) => {
                tracing::debug!("the server forgot the session; sending the call again on a new one");
                self.forget(key, &session).await;
                let session = self.session(key, endpoint, options).await?;
                let again = session.call_tool_with(name, arguments, &watch).await;
                return self.settle(key, &session, again).await;
            }
            other => other,
        };
        self.settle(key, &session, outcome).await
    }

    /// Every tool of the server for `key`, through its kept session, replaced once
    /// when the server no longer knows it (listing has no effects either way).
    pub async fn list_tools(
        &self,
        key: &K,
        endpoint: &Endpoint,
        options: &ClientOptions,
    ) -> Result<Vec<Tool>, McpError> {
        let session = self.session(key, endpoint, options).await?;
        let tools = match session.list_tools().await {
            Err(McpError::SessionExpired) => {
                self.forget(key, &session).await;
                let session = self.session(key, endpoint, options).await?;
                let again = session.list_tools().await;
                return self.settle(key, &session, again).await;
            }
            other => other,
        };
        self.settle(key, &session, tools).await
    }

    /// Drop the session after a failure other than a timeout.
    async fn settle<T>(
        &self,
        key: &K,
        session: &Arc<UpstreamSession>,
        outcome: Result<T, McpError>,
    ) -> Result<T, McpError> {
        if let Err(e) = &outcome
            && !matches!(e, McpError::Timeout(_))
        {
            self.forget(key, session).await;
        }
        outcome
    }

    /// Close `session` if it is still the one kept for `key` (another call may
    /// have replaced it already).
    async fn forget(&self, key: &K, session: &Arc<UpstreamSession>) {
        let Some(cell) = self.lock().get(key).map(|slot| slot.cell.clone()) else { return };
        let mut kept = cell.lock().await;
        if kept.as_ref().is_some_and(|k| Arc::ptr_eq(&k.session, session))
            && let Some(k) = kept.take()
        {
            close_later(k.session);
        }
    }

    /// Forget the session for `key` (the connector changed or is gone) and close it.
    pub async fn evict(&self, key: &K) {
        let slot = self.lock().remove(key);
        if let Some(slot) = slot
            && let Some(kept) = slot.cell.lock().await.take()
        {
            close_later(kept.session);
        }
    }

    /// Forget and close the sessions of every key that `matches` (say, every
    /// user's session of a connector that changed).
    pub async fn evict_matching(&self, matches: impl Fn(&K) -> bool) {
        let cells: Vec<Cell> = {
            let mut slots = self.lock();
            let keys: Vec<K> = slots.keys().filter(|k| matches(k)).cloned().collect();
            keys.iter().filter_map(|k| slots.remove(k)).map(|slot| slot.cell).collect()
        };
        for cell in cells {
            if let Some(kept) = cell.lock().await.take() {
                close_later(kept.session);
            }
        }
    }

    /// Close the sessions nobody used for longer than the idle time.
    pub async fn close_idle(&self) {
        let cells: Vec<Cell> = self.lock().values().map(|slot| slot.cell.clone()).collect();
        for cell in cells {
            let Ok(mut kept) = cell.try_lock() else { continue }; // in use or connecting: not idle
            if kept.as_ref().is_some_and(|k| k.last_used.elapsed() > self.limits.idle)
                && let Some(k) = kept.take()
            {
                close_later(k.session);
            }
        }
    }

    /// Close every session (the server is stopping).
    pub async fn close_all(&self) {
        let cells: Vec<Cell> = self.lock().drain().map(|(_, slot)| slot.cell).collect();
        for cell in cells {
            if let Some(kept) = cell.lock().await.take() {
                match Arc::try_unwrap(kept.session) {
                    Ok(session) => session.close().await,
                    Err(shared) => drop(shared), // a call still holds it: it ends when that call does
                }
            }
        }
    }

    /// How many sessions are kept open.
    pub async fn open_count(&self) -> usize {
        let cells: Vec<Cell> = self.lock().values().map(|slot| slot.cell.clone()).collect();
        let mut open = 0;
        for cell in cells {
            open += usize::from(cell.lock().await.is_some());
        }
        open
    }

    /// The slot for `key`, marked as used now; when making it fills the pool past
    /// its limit, the slot used least recently is taken out and returned.
    fn slot(&self, key: &K) -> (Cell, Option<Cell>) {
        let mut slots = self.lock();
        let now = Instant::now();
        if let Some(slot) = slots.get_mut(key) {
            slot.used = now;
            return (slot.cell.clone(), None);
        }
        let evicted = if slots.len() >= self.limits.max_sessions.max(1) {
            let oldest = slots.iter().min_by_key(|(_, slot)| slot.used).map(|(k, _)| k.clone());
            oldest.and_then(|k| slots.remove(&k)).map(|slot| slot.cell)
        } else {
            None
        };
        let cell = Cell::default();
        slots.insert(key.clone(), Slot { cell: cell.clone(), used: now });
        (cell, evicted)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Close the session of a slot taken out of the pool, once whoever holds the
/// slot (a call connecting through it) lets go.
fn close_cell_later(cell: Cell) {
    tokio::spawn(async move {
        if let Some(kept) = cell.lock().await.take() {
            close_later(kept.session);
        }
    });
}

/// Close a session once the calls still using it are done.
fn close_later(session: Arc<UpstreamSession>) {
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
