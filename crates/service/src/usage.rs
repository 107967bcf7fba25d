//! The workspace's usage: tokens, turns, model steps and tool calls over a
//! range of days, grouped as asked (`core::usage`). Owners, admins and auditors.

use switchboard_core::permission::Action;
use switchboard_core::usage::{Dimension, Window};
use switchboard_store::{Store, UsageGroup, User};

use crate::error::Result;
use crate::policy::require;

/// The figures over a window: every day with usage (the totals are their sum),
/// and each grouping asked for.
#[derive(Debug, Default)]
pub struct UsageReport {
    pub days: Vec<UsageGroup>,
    /// By user, with every user of the workspace to name them by.
    pub by_user: Option<(Vec<UsageGroup>, Vec<User>)>,
    pub by_app: Option<Vec<UsageGroup>>,
    pub by_model: Option<Vec<UsageGroup>>,
}

/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Usage {
    store: Store,
}

impl Usage {
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    /// The report over `window`, grouped by `dims` (by day always: the totals are read from it).
    pub async fn report(&self, actor: &User, window: Window, dims: &[Dimension]) -> Result<UsageReport> {
        require(actor, Action::ReadUsage)?;
        let (start, end) = (window.start(), window.end());
        let mut report =
            UsageReport { days: self.store.usage(start, end, Dimension::Day).await?, ..Default::default() };
        for dim in dims {
            match dim {
                Dimension::Day => {}
                Dimension::User => {
                    let users = self.store.list_users().await?;
                    report.by_user = Some((self.store.usage(start, end, Dimension::User).await?, users));
                }
                Dimension::App => report.by_app = Some(self.store.usage(start, end, Dimension::App).await?),
                Dimension::Model => report.by_model = Some(self.store.usage(start, end, Dimension::Model).await?),
            }
        }
        Ok(report)
    }
}
