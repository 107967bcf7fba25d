//! Reads kept in memory, and when to stop trusting them.
//!
//! Every cache of the services is a [`Cache`] stamped with an *epoch*: a number
//! that moves whenever cached data may have changed — at once when this process
//! writes it (the store's [`local_changes`](switchboard_store::Store::local_changes)),
//! and within [`POLL_INTERVAL`] when another process sharing the database does (the
//! database's [`generation`](switchboard_store::Store::generation), polled). A cache
//! whose stamp is not the current epoch is empty; a value loaded while the epoch
//! moved is not kept, so a read that raced a write cannot outlive it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use switchboard_store::Store;

/// How often the database's change counter is read. Changes made by other
/// processes reach this one within this time (and the time of one query).
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// The current epoch of cached data. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Freshness {
    store: Store,
    /// Moves each time the poll sees another generation, or fails.
    remote: Arc<AtomicU64>,
}

impl Freshness {
    /// Start polling the database on the current runtime; the poll stops when
    /// the last clone is dropped.
    pub fn start(store: Store) -> Self {
        let remote = Arc::new(AtomicU64::new(0));
        tokio::spawn(poll(store.clone(), Arc::downgrade(&remote)));
        Self { store, remote }
    }

    /// The epoch now: it changes whenever cached data may have.
    pub fn epoch(&self) -> u64 {
        self.remote.load(Ordering::Acquire).wrapping_add(self.store.local_changes())
    }
}

async fn poll(store: Store, remote: std::sync::Weak<AtomicU64>) {
    let mut seen: Option<i64> = None;
    let mut ticks = tokio::time::interval(POLL_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(remote) = remote.upgrade() else { return };
        match store.generation().await {
            Ok(generation) if seen == Some(generation) => {}
            Ok(generation) => {
                seen = Some(generation);
                remote.fetch_add(1, Ordering::AcqRel);
            }
            Err(e) => {
                // Whatever changed meanwhile cannot be known: trust nothing kept.
                tracing::warn!(error = %e, "could not read the database's change counter");
                seen = None;
                remote.fetch_add(1, Ordering::AcqRel);
            }
        }
    }
}

/// Values by key, valid for one epoch, at most `capacity` of them (when full,
/// the cache starts over: what is hot comes back at once).
#[derive(Debug)]
pub(crate) struct Cache<K, V> {
    freshness: Freshness,
    capacity: usize,
    entries: Mutex<(u64, HashMap<K, V>)>,
}

impl<K: Hash + Eq, V: Clone> Cache<K, V> {
    pub(crate) fn new(freshness: Freshness, capacity: usize) -> Self {
        let epoch = freshness.epoch();
        Self { freshness, capacity, entries: Mutex::new((epoch, HashMap::new())) }
    }

    /// The epoch to stamp a value with: read it *before* loading the value.
    pub(crate) fn epoch(&self) -> u64 {
        self.freshness.epoch()
    }

    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.current().1.get(key).cloned()
    }

    /// Keep `value`, loaded after `epoch` was read, unless the epoch moved since.
    pub(crate) fn insert(&self, key: K, value: V, epoch: u64) {
        let mut entries = self.current();
        if entries.0 != epoch {
            return;
        }
        if entries.1.len() >= self.capacity {
            entries.1.clear();
        }
        entries.1.insert(key, value);
    }

    /// The entries, emptied first if they belong to an older epoch.
    fn current(&self) -> MutexGuard<'_, (u64, HashMap<K, V>)> {
        let now = self.freshness.epoch();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.0 != now {
            entries.0 = now;
            entries.1.clear();
        }
        entries
    }
}

/// Load through `cache`: the kept value, or `load()`'s, kept for next time.
pub(crate) async fn cached<K, V, E, F>(cache: &Cache<K, V>, key: K, load: F) -> Result<V, E>
where
    K: Hash + Eq,
    V: Clone,
    F: Future<Output = Result<V, E>>,
{
    if let Some(found) = cache.get(&key) {
        return Ok(found);
    }
    let epoch = cache.epoch();
    let value = load.await?;
    cache.insert(key, value.clone(), epoch);
    Ok(value)
}
