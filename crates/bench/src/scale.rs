//! A large database for `bench tool-call --scale`: [`CONNECTORS`] connectors
//! with [`TOOLS_PER_CONNECTOR`] tools each, and [`AUDIT_EVENTS`] audit records,
//! written while the server is stopped.
//!
//! The rows are copies of rows the product wrote itself in the set-up (a
//! connector made through the API, its `echo` tool and the audit record of one
//! playground call), with new ids, names and times, so they are valid for the
//! product whatever the columns hold: the connectors are drafts owned by the
//! benchmark's user, their tools are `echo_0`…`echo_9`, and the audit records
//! are playground calls of those connectors, one a second going back about
//! eleven days. Their ids are UUIDs starting with `00000000-`, which no id the
//! product makes (UUIDv7, from the clock) does. They take the next sequence
//! numbers of the audit trail (the head moves past them) but carry no hashes:
//! `switchboard audit verify` rightly reports the first of them as broken.
//!
//! Each table is filled by one `INSERT … SELECT` over a recursive `WITH`
//! counter, all in one transaction: no rows cross the connection.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use sqlx::{Connection as _, Executor as _, PgConnection, SqliteConnection};

pub(crate) const CONNECTORS: u64 = 1_000;
pub(crate) const TOOLS_PER_CONNECTOR: u64 = 10;
pub(crate) const TOOLS: u64 = CONNECTORS * TOOLS_PER_CONNECTOR;
pub(crate) const AUDIT_EVENTS: u64 = 1_000_000;

/// The third group of the ids made here, by table.
const CONNECTOR_TAG: u16 = 0x8000;
const AUDIT_TAG: u16 = 0x8001;

/// The database of the server under test.
#[derive(Clone, Debug)]
pub(crate) enum Backend {
    /// The SQLite file in the data dir.
    Sqlite(PathBuf),
    /// A PostgreSQL URL.
    Postgres(String),
}

/// What [`fill`] wrote.
#[derive(Debug)]
pub(crate) struct Filled {
    pub(crate) took: Duration,
    connectors: u64,
    tools: u64,
    audit_events: u64,
}

impl fmt::Display for Filled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} connectors, {} tools, {} audit records added", self.connectors, self.tools, self.audit_events)
    }
}

/// Add the rows, copying connector `template` (with its `echo` tool and its
/// latest audit record). The server must not be running.
pub(crate) fn fill(backend: &Backend, template: &str) -> anyhow::Result<Filled> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("tokio runtime")?;
    let started = Instant::now();
    let sql = Statements::new(backend);
    let (connectors, tools, audit_events) = runtime.block_on(async {
        match backend {
            Backend::Sqlite(path) => {
                let url = format!("sqlite://{}", path.display());
                let mut conn = SqliteConnection::connect(&url).await.with_context(|| format!("cannot open {url}"))?;
                let mut tx = conn.begin().await?;
                let counts = (
                    sqlx::query(&sql.connectors).bind(template).execute(&mut *tx).await?.rows_affected(),
                    sqlx::query(&sql.tools).bind(template).execute(&mut *tx).await?.rows_affected(),
                    sqlx::query(&sql.audit_events).bind(template).execute(&mut *tx).await?.rows_affected(),
                );
                sqlx::query(&sql.audit_head).execute(&mut *tx).await?;
                tx.commit().await?;
                // Leave the file as a long-running server would: written back, no large WAL.
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await?;
                conn.close().await?;
                anyhow::Ok(counts)
            }
            Backend::Postgres(url) => {
                let mut conn = PgConnection::connect(url).await.context("cannot connect to PostgreSQL")?;
                let mut tx = conn.begin().await?;
                let counts = (
                    sqlx::query(&sql.connectors).bind(template).execute(&mut *tx).await?.rows_affected(),
                    sqlx::query(&sql.tools).bind(template).execute(&mut *tx).await?.rows_affected(),
                    sqlx::query(&sql.audit_events).bind(template).execute(&mut *tx).await?.rows_affected(),
                );
                sqlx::query(&sql.audit_head).execute(&mut *tx).await?;
                tx.commit().await?;
                // What autovacuum would do soon after, done now so it does not run during the batches.
                conn.execute("VACUUM (ANALYZE)").await?;
                conn.close().await?;
                anyhow::Ok(counts)
            }
        }
    })?;
    anyhow::ensure!(
        (connectors, tools, audit_events) == (CONNECTORS, TOOLS, AUDIT_EVENTS),
        "filled {connectors} connectors, {tools} tools and {audit_events} audit records; \
         is connector {template} there with its echo tool and a playground call?"
    );
    Ok(Filled { took: started.elapsed(), connectors, tools, audit_events })
}

/// The three statements, each with the template connector's id as `$1`, and
/// the move of the audit trail's head past the added records.
#[derive(Debug)]
struct Statements {
    connectors: String,
    tools: String,
    audit_events: String,
    audit_head: String,
}

impl Statements {
    fn new(backend: &Backend) -> Self {
        let uuid = |tag: u16, n: &str| match backend {
            Backend::Sqlite(_) => format!("printf('00000000-0000-7000-{tag:04x}-%012x', {n})"),
            Backend::Postgres(_) => format!("'00000000-0000-7000-{tag:04x}-' || lpad(to_hex({n}), 12, '0')"),
        };
        let counter = |name: &str, from: u64, to: u64| {
            format!("WITH RECURSIVE {name}(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM {name} WHERE i < {to}) ")
        };
        let connectors = format!(
            "{}INSERT INTO connectors (id, owner_id, name, description, url, command, transport, auth_mode, status, \
             protocol_version, used_transport, server_info, created_at, refreshed_at) \
             SELECT {}, c.owner_id, 'Scale ' || n.i, c.description, c.url, c.command, c.transport, c.auth_mode, \
             'draft', c.protocol_version, c.used_transport, c.server_info, c.created_at - n.i, c.refreshed_at - n.i \
             FROM n, connectors c WHERE c.id = $1",
            counter("n", 1, CONNECTORS),
            uuid(CONNECTOR_TAG, "n.i"),
        );
        let tools = format!(
            "{}INSERT INTO connector_tools (connector_id, name, position, definition, enabled) \
             SELECT c.id, 'echo_' || k.i, k.i, replace(t.definition, '\"name\":\"echo\"', '\"name\":\"echo_' || k.i || '\"'), \
             t.enabled FROM connectors c, k, connector_tools t \
             WHERE c.id LIKE '00000000-0000-7000-{CONNECTOR_TAG:04x}-%' AND t.connector_id = $1 AND t.name = 'echo'",
            counter("k", 0, TOOLS_PER_CONNECTOR - 1),
        );
        let audit_events = format!(
            "{}INSERT INTO audit_events (seq, id, at, kind, actor_id, conversation_id, tool_call_id, connector_id, tool, \
             classification, decision, status, latency_us, detail) \
             SELECT h.seq + n.i, {}, a.at - n.i * 1000, a.kind, a.actor_id, a.conversation_id, a.tool_call_id, {}, 'echo_' || (n.i % {TOOLS_PER_CONNECTOR}), \
             a.classification, a.decision, a.status, a.latency_us, a.detail \
             FROM n, audit_head h, (SELECT * FROM audit_events WHERE connector_id = $1 ORDER BY seq DESC LIMIT 1) a",
            counter("n", 1, AUDIT_EVENTS),
            uuid(AUDIT_TAG, "n.i"),
            uuid(CONNECTOR_TAG, &format!("n.i % {CONNECTORS} + 1")),
        );
        let audit_head = format!("UPDATE audit_head SET seq = seq + {AUDIT_EVENTS} WHERE id = 1");
        Self { connectors, tools, audit_events, audit_head }
    }
}
