//! Usage over a window of time: tokens, model steps and turns from the answers
//! models wrote (each answer carries its step's usage), tool calls and their
//! latency from the calls, grouped by one [`Dimension`].

use std::collections::BTreeMap;

use sqlx::Row;
use switchboard_core::usage::Dimension;
use time::OffsetDateTime;

use crate::Store;
use crate::error::Result;
use crate::time_ms::to_ms;

/// Usage figures, summed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UsageFigures {
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Turns a model answered (counted at their first model step).
    pub turns: i64,
    pub model_steps: i64,
    pub tool_calls: i64,
    /// The sum of the tool calls' latencies, in microseconds.
    pub tool_latency_us: i64,
}

impl UsageFigures {
    pub fn add(&mut self, other: &UsageFigures) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.turns += other.turns;
        self.model_steps += other.model_steps;
        self.tool_calls += other.tool_calls;
        self.tool_latency_us += other.tool_latency_us;
    }
}

/// The figures of one group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageGroup {
    /// What the group is: a day's number since 1970-01-01 (UTC), a user id, an
    /// app id or `provider/model`. `None`: calls of a name that matched no app,
    /// or answers recorded before their model was.
    pub key: Option<String>,
    /// The name the app had when it was called (app groups).
    pub name: Option<String>,
    pub figures: UsageFigures,
}

/// Milliseconds in a day: instants divided by it give their UTC day.
const DAY_MS: i64 = 86_400_000;

impl Store {
    /// Usage of model steps and tool calls made in `[start, end)`, grouped by
    /// `by`, ordered by key. Conversations that were deleted take their usage
    /// with them.
    pub async fn usage(&self, start: OffsetDateTime, end: OffsetDateTime, by: Dimension) -> Result<Vec<UsageGroup>> {
        let (step_key, step_join, turns) = match by {
            Dimension::Day => (format!("CAST(m.created_at / {DAY_MS} AS TEXT)"), "", TURNS),
            Dimension::User => ("c.owner_id".into(), "", TURNS),
            Dimension::Model => ("m.model".into(), "", TURNS),
            // A step that called two apps counts for both; a turn counts once per app it used.
            Dimension::App => ("x.connector_id".into(), APP_JOIN, APP_TURNS),
        };
        let steps = format!(
            "SELECT {step_key} AS k, COUNT(*) AS steps, \
             CAST(COALESCE(SUM(m.input_tokens), 0) AS BIGINT) AS input_tokens, \
             CAST(COALESCE(SUM(m.output_tokens), 0) AS BIGINT) AS output_tokens, {turns} AS turns \
             FROM messages m JOIN conversations c ON c.id = m.conversation_id {step_join} \
             WHERE m.model IS NOT NULL AND m.created_at >= $1 AND m.created_at < $2 GROUP BY 1"
        );
        let call_key = match by {
            Dimension::Day => format!("CAST(t.created_at / {DAY_MS} AS TEXT)"),
            Dimension::User => "c.owner_id".into(),
            Dimension::Model => "m.model".into(),
            Dimension::App => "t.connector_id".into(),
        };
        let calls = format!(
            "SELECT {call_key} AS k, COUNT(*) AS calls, CAST(COALESCE(SUM(t.latency_us), 0) AS BIGINT) AS latency_us, \
             MAX(t.connector_name) AS name \
             FROM tool_calls t JOIN conversations c ON c.id = t.conversation_id JOIN messages m ON m.id = t.message_id \
             WHERE t.created_at >= $1 AND t.created_at < $2 GROUP BY 1"
        );
        let (start, end) = (to_ms(start), to_ms(end));
        let mut groups: BTreeMap<Option<String>, UsageGroup> = BTreeMap::new();
        for row in sqlx::query(&steps).bind(start).bind(end).fetch_all(&self.pool).await? {
            let f = &mut group(&mut groups, row.try_get("k")?).figures;
            f.model_steps += row.try_get::<i64, _>("steps")?;
            f.input_tokens += row.try_get::<i64, _>("input_tokens")?;
            f.output_tokens += row.try_get::<i64, _>("output_tokens")?;
            f.turns += row.try_get::<i64, _>("turns")?;
        }
        for row in sqlx::query(&calls).bind(start).bind(end).fetch_all(&self.pool).await? {
            let g = group(&mut groups, row.try_get("k")?);
            g.figures.tool_calls += row.try_get::<i64, _>("calls")?;
            g.figures.tool_latency_us += row.try_get::<i64, _>("latency_us")?;
            if by == Dimension::App {
                g.name = row.try_get("name")?;
            }
        }
        Ok(groups.into_values().collect())
    }
}

/// The group of `key`, empty until figures are added.
fn group(groups: &mut BTreeMap<Option<String>, UsageGroup>, key: Option<String>) -> &mut UsageGroup {
    groups.entry(key.clone()).or_insert_with(|| UsageGroup { key, name: None, figures: UsageFigures::default() })
}

/// Turns, counted at their first model step.
const TURNS: &str = "CAST(COALESCE(SUM(CASE WHEN m.turn_step = 1 THEN 1 ELSE 0 END), 0) AS BIGINT)";

/// The apps each answer called, once per answer.
const APP_JOIN: &str = "JOIN (SELECT DISTINCT message_id, connector_id FROM tool_calls \
                        WHERE connector_id IS NOT NULL) x ON x.message_id = m.id";

/// The distinct turns of the answers grouped: a turn is named by its
/// conversation and the position of its first answer.
const APP_TURNS: &str = "COUNT(DISTINCT m.conversation_id || ':' || CAST((SELECT MAX(s.seq) FROM messages s \
                         WHERE s.conversation_id = m.conversation_id AND s.turn_step = 1 AND s.seq <= m.seq) AS TEXT))";
