//! The JSON shape of a usage report, and how it is built from the usage
//! service's groups: the route and the Workspace → Usage page show the same report.

use serde::Serialize;
use switchboard_core::usage::{Dimension, Window, day_from_index, format_day};
use switchboard_store::{UsageFigures, UsageGroup, User};
use utoipa::ToSchema;

use crate::error::AppError;
use crate::state::AppState;

/// Usage figures, summed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, ToSchema)]
pub(crate) struct UsageFiguresView {
    /// Tokens the providers reported for requests (prompt) and answers (completion).
    pub(crate) input_tokens: i64,
    pub(crate) output_tokens: i64,
    /// Turns a model answered (a message sent, a Regenerate, an edit and resend).
    pub(crate) turns: i64,
    /// Requests to a model: a turn that calls tools takes several.
    pub(crate) model_steps: i64,
    pub(crate) tool_calls: i64,
    /// The tool calls' latencies added up, in milliseconds.
    pub(crate) tool_latency_ms: f64,
}

impl From<&UsageFigures> for UsageFiguresView {
    fn from(f: &UsageFigures) -> Self {
        Self {
            input_tokens: f.input_tokens,
            output_tokens: f.output_tokens,
            turns: f.turns,
            model_steps: f.model_steps,
            tool_calls: f.tool_calls,
            tool_latency_ms: f.tool_latency_us as f64 / 1000.0,
        }
    }
}

/// The figures of one user, app, model or day.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub(crate) struct UsageGroupView {
    /// A day (`2026-11-30`), a user id, an app id or `provider/model`; `null`
    /// for tool calls of names that matched no app, or answers stored before
    /// their model was.
    pub(crate) key: Option<String>,
    /// A user's `name <email>`, an app's name (as it was when called), the
    /// model or the day.
    pub(crate) label: String,
    #[serde(flatten)]
    pub(crate) figures: UsageFiguresView,
}

/// Usage over a range of days: totals, and the figures grouped as asked.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UsageView {
    /// The first day covered (UTC).
    pub(crate) from: String,
    /// The last day covered (UTC), included.
    pub(crate) to: String,
    pub(crate) totals: UsageFiguresView,
    /// Days with any usage, oldest first (when grouped by `day`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) by_day: Option<Vec<UsageGroupView>>,
    /// Users, most tokens first (when grouped by `user`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) by_user: Option<Vec<UsageGroupView>>,
    /// Apps whose actions were called, most tool calls first (when grouped by
    /// `app`). Tokens and turns are those of the model steps that called the
    /// app: a step that called two apps counts for both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) by_app: Option<Vec<UsageGroupView>>,
    /// Models, most tokens first (when grouped by `model`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) by_model: Option<Vec<UsageGroupView>>,
}

/// The view of `actor`'s report over `window`, grouped by `dims`. The totals are
/// read whatever the grouping.
pub(crate) async fn usage_report(
    state: &AppState,
    actor: &User,
    window: Window,
    dims: &[Dimension],
) -> Result<UsageView, AppError> {
    let report = state.services.usage().report(actor, window, dims).await?;
    let mut totals = UsageFigures::default();
    for day in &report.days {
        totals.add(&day.figures);
    }
    let mut view = UsageView {
        from: format_day(window.from),
        to: format_day(window.to),
        totals: (&totals).into(),
        by_day: None,
        by_user: None,
        by_app: None,
        by_model: None,
    };
    if dims.contains(&Dimension::Day) {
        let label =
            |g: &UsageGroup| g.key.as_deref().and_then(|k| k.parse().ok()).and_then(day_from_index).map(format_day);
        view.by_day = Some(
            report
                .days
                .iter()
                .map(|g| {
                    let day = label(g).unwrap_or_default();
                    UsageGroupView { key: Some(day.clone()), label: day, figures: (&g.figures).into() }
                })
                .collect(),
        );
    }
    if let Some((groups, users)) = report.by_user {
        view.by_user = Some(ranked(groups, |g| {
            let user = users.iter().find(|u| Some(u.id.to_string()) == g.key);
            user.map(|u| format!("{} <{}>", u.name, u.email)).unwrap_or_else(|| "a removed user".into())
        }));
    }
    if let Some(groups) = report.by_app {
        let mut apps = ranked(groups, |g| match (&g.key, &g.name) {
            (None, _) => "no app (names the model invented)".into(),
            (Some(_), Some(name)) => name.clone(),
            (Some(id), None) => id.clone(),
        });
        apps.sort_by_key(|g| std::cmp::Reverse(g.figures.tool_calls));
        view.by_app = Some(apps);
    }
    if let Some(groups) = report.by_model {
        view.by_model =
            Some(ranked(groups, |g| g.key.clone().unwrap_or_else(|| "unknown (recorded before models were)".into())));
    }
    Ok(view)
}

/// The groups labelled, most tokens first (then by label).
fn ranked(groups: Vec<UsageGroup>, label: impl Fn(&UsageGroup) -> String) -> Vec<UsageGroupView> {
    let mut views: Vec<UsageGroupView> = groups
        .iter()
        .map(|g| UsageGroupView { key: g.key.clone(), label: label(g), figures: (&g.figures).into() })
        .collect();
    let tokens = |v: &UsageGroupView| v.figures.input_tokens + v.figures.output_tokens;
    views.sort_by(|a, b| tokens(b).cmp(&tokens(a)).then_with(|| a.label.cmp(&b.label)));
    views
}
