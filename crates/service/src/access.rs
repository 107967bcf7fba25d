//! Who is asking and what they may do: API tokens, browser sessions, developer
//! mode and the workspace settings, read from memory on the hot path.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use switchboard_core::developer_mode;
use switchboard_core::{DeveloperModePolicy, GroupId, UserId};
use switchboard_store::{
    GroupSummary, LoginSession, Store, TOKEN_USE_RESOLUTION_MS, TokenHolder, User, WorkspaceSettings,
};
use time::OffsetDateTime;

use crate::error::Result;
use crate::freshness::{Cache, Freshness, cached};

/// Most tokens, sessions and users kept in memory (each cache).
const CAPACITY: usize = 10_000;

/// Whether developer mode applies to a user, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeveloperMode {
    /// The user turned it on for themselves.
    pub enabled: bool,
    /// The workspace policy allows it for them.
    pub allowed: bool,
    /// Both: they may create and test their own connectors.
    pub active: bool,
    pub policy: DeveloperModePolicy,
}

/// What a user may do beyond their role: their groups and developer mode.
#[derive(Clone, Debug)]
pub struct Standing {
    pub groups: Vec<GroupSummary>,
    /// The ids of `groups`.
    pub group_ids: Vec<GroupId>,
    pub developer_mode: DeveloperMode,
}

#[derive(Debug)]
struct KeptToken {
    holder: TokenHolder,
    /// When its use was last written, in milliseconds since the epoch.
    recorded_ms: AtomicI64,
}

/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Access(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    store: Store,
    tokens: Cache<String, Arc<KeptToken>>,
    logins: Cache<String, Arc<LoginSession>>,
    standings: Cache<UserId, Arc<Standing>>,
    users: Cache<UserId, User>,
    settings: Cache<(), Arc<WorkspaceSettings>>,
}

impl Access {
    pub(crate) fn new(store: Store, freshness: &Freshness) -> Self {
        Self(Arc::new(Inner {
            store,
            tokens: Cache::new(freshness.clone(), CAPACITY),
            logins: Cache::new(freshness.clone(), CAPACITY),
            standings: Cache::new(freshness.clone(), CAPACITY),
            users: Cache::new(freshness.clone(), CAPACITY),
            settings: Cache::new(freshness.clone(), 1),
        }))
    }

    /// The user a live API token (by its digest) belongs to. Unknown, revoked and
    /// expired tokens are `None`. Its use is recorded at most once a minute (one
    /// request a minute per token waits for that write).
    pub async fn user_by_token(&self, digest: &str) -> Result<Option<User>> {
        let kept = match self.0.tokens.get(&digest.to_owned()) {
            Some(kept) => kept,
            None => {
                let epoch = self.0.tokens.epoch();
                let Some(holder) = self.0.store.token_holder(digest).await? else { return Ok(None) };
                let recorded_ms = holder.last_used_at.map_or(i64::MIN, ms);
                let kept = Arc::new(KeptToken { holder, recorded_ms: AtomicI64::new(recorded_ms) });
                self.0.tokens.insert(digest.to_owned(), kept.clone(), epoch);
                kept
            }
        };
        let now = OffsetDateTime::now_utc();
        if kept.holder.expires_at.is_some_and(|at| at <= now) {
            return Ok(None);
        }
        let last = kept.recorded_ms.load(Ordering::Relaxed);
        if ms(now).saturating_sub(last) >= TOKEN_USE_RESOLUTION_MS
            && kept.recorded_ms.compare_exchange(last, ms(now), Ordering::AcqRel, Ordering::Relaxed).is_ok()
            && let Err(e) = self.0.store.record_token_use(kept.holder.token_id).await
        {
            tracing::warn!(error = %e, "could not record an API token's use");
        }
        Ok(Some(kept.holder.user.clone()))
    }

    /// The live browser session with this cookie digest, with its user.
    pub async fn login_session(&self, digest: &str) -> Result<Option<Arc<LoginSession>>> {
        let session = match self.0.logins.get(&digest.to_owned()) {
            Some(found) => found,
            None => {
                let epoch = self.0.logins.epoch();
                let Some(found) = self.0.store.session(digest).await? else { return Ok(None) };
                let found = Arc::new(found);
                self.0.logins.insert(digest.to_owned(), found.clone(), epoch);
                found
            }
        };
        Ok((session.expires_at > OffsetDateTime::now_utc()).then_some(session))
    }

    /// A user by id.
    pub async fn user(&self, id: UserId) -> Result<User> {
        cached(&self.0.users, id, async { Ok(self.0.store.user(id).await?) }).await
    }

    /// The user's groups and developer-mode status under the current policy.
    pub async fn standing(&self, user: &User) -> Result<Arc<Standing>> {
        cached(&self.0.standings, user.id, async {
            let groups = self.0.store.groups_of_user(user.id).await?;
            let settings = self.workspace_settings().await?;
            let granted: Vec<_> = settings.developer_mode_groups.iter().map(|g| g.id).collect();
            let mine: Vec<_> = groups.iter().map(|g| g.id).collect();
            let allowed = developer_mode::is_allowed(settings.developer_mode_policy, &granted, user.role, &mine);
            let developer_mode = DeveloperMode {
                enabled: user.developer_mode,
                allowed,
                active: developer_mode::is_active(allowed, user.developer_mode),
                policy: settings.developer_mode_policy,
            };
            Ok(Arc::new(Standing { groups, group_ids: mine, developer_mode }))
        })
        .await
    }

    /// Whether developer mode is in effect for the user.
    pub async fn developer_mode_active(&self, user: &User) -> Result<bool> {
        Ok(self.standing(user).await?.developer_mode.active)
    }

    pub async fn workspace_settings(&self) -> Result<Arc<WorkspaceSettings>> {
        cached(&self.0.settings, (), async { Ok(Arc::new(self.0.store.workspace_settings().await?)) }).await
    }
}

fn ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}
