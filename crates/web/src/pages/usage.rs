//! Workspace → Usage: the report of `GET /api/v1/usage` over a range of days
//! (a plain GET form), with the totals, a tokens-per-day chart drawn on the
//! server and tables by day, user, app and model. No script.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use switchboard_core::permission::{Action, permits};
use switchboard_core::usage::{Dimension, format_day};
use time::OffsetDateTime;

use super::usage_chart::{Chart, DayTokens, HEIGHT, WIDTH, chart, grouped};
use super::{Shell, page_error, render, visible, visitor};
use crate::error::AppError;
use crate::routes::usage::query::UsageQuery;
use crate::state::AppState;
use crate::views_usage::{UsageFiguresView, UsageGroupView, usage_report};

#[derive(Template)]
#[template(path = "usage.html")]
struct UsagePage {
    shell: Shell,
    tab: &'static str,
    can_read_audit: bool,
    from: String,
    to: String,
    /// The range as the API takes it, for the JSON link.
    api_query: String,
    totals: Row,
    chart: Chart,
    width: f64,
    height: f64,
    days: Vec<Row>,
    /// By user, app and model.
    tables: Vec<Table>,
}

/// A table of figures by one grouping.
struct Table {
    id: &'static str,
    /// The first column's heading.
    column: &'static str,
    rows: Vec<Row>,
    /// Said instead of an empty table.
    empty: &'static str,
}

/// The form's fields: the API's range.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct FormValues {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// One row of a table, its figures written for people.
struct Row {
    label: String,
    input: String,
    output: String,
    turns: String,
    steps: String,
    calls: String,
    /// Average latency of the tool calls.
    call_latency: String,
}

impl Row {
    fn new(label: String, f: &UsageFiguresView) -> Row {
        Row {
            label: visible(&label),
            input: grouped(f.input_tokens),
            output: grouped(f.output_tokens),
            turns: grouped(f.turns),
            steps: grouped(f.model_steps),
            calls: grouped(f.tool_calls),
            call_latency: if f.tool_calls > 0 {
                format!("{:.0} ms", f.tool_latency_ms / f.tool_calls as f64)
            } else {
                "—".into()
            },
        }
    }

    fn of(groups: Option<Vec<UsageGroupView>>) -> Vec<Row> {
        groups.unwrap_or_default().into_iter().map(|g| Row::new(g.label, &g.figures)).collect()
    }
}

pub(crate) async fn page(
    State(state): State<AppState>,
    Query(form): Query<FormValues>,
    headers: HeaderMap,
) -> Response {
    let visitor = match visitor(&state, &headers, "/workspace/usage").await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    if !permits(visitor.session.user.role, Action::ReadUsage) {
        return page_error(AppError::role("usage is for owners, admins and auditors"));
    }
    match build(&state, &visitor, form).await {
        Ok(page) => render(&page),
        Err(e) => page_error(e),
    }
}

async fn build(state: &AppState, visitor: &super::Visitor, form: FormValues) -> Result<UsagePage, AppError> {
    let query = UsageQuery { from: Some(form.from.clone()), to: Some(form.to.clone()), group_by: None };
    let (window, _) = query.parse(OffsetDateTime::now_utc().date())?;
    let report = usage_report(state, &visitor.session.user, window, &Dimension::ALL).await?;
    // Every day of the range, with or without usage, for the chart and its table.
    let by_day = report.by_day.unwrap_or_default();
    let days: Vec<(String, UsageFiguresView)> = window
        .days()
        .map(format_day)
        .map(|day| {
            let figures =
                by_day.iter().find(|g| g.key.as_deref() == Some(day.as_str())).map(|g| g.figures).unwrap_or_default();
            (day, figures)
        })
        .collect();
    let tokens: Vec<DayTokens> = days
        .iter()
        .map(|(day, f)| DayTokens { day: day.clone(), input: f.input_tokens, output: f.output_tokens })
        .collect();
    let (from, to) = (format_day(window.from), format_day(window.to));
    Ok(UsagePage {
        shell: visitor.shell("Usage", "workspace", None),
        tab: "usage",
        can_read_audit: permits(visitor.session.user.role, Action::ReadAudit),
        api_query: format!("from={from}&to={to}"),
        from,
        to,
        totals: Row::new("Total".into(), &report.totals),
        chart: chart(&tokens),
        width: WIDTH,
        height: HEIGHT,
        days: days.iter().rev().map(|(day, f)| Row::new(day.clone(), f)).collect(),
        tables: vec![
            Table {
                id: "usage-by-user",
                column: "User",
                rows: Row::of(report.by_user),
                empty: "Nobody used a model in this range.",
            },
            Table {
                id: "usage-by-app",
                column: "App",
                rows: Row::of(report.by_app),
                empty: "No app's actions were called in this range.",
            },
            Table {
                id: "usage-by-model",
                column: "Model",
                rows: Row::of(report.by_model),
                empty: "No model answered in this range.",
            },
        ],
    })
}
