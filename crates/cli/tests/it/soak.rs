//! Soak with `kill -9`: a workload of many conversations, reads, writes that wait
//! for approval, decisions and playground calls runs against the real binary,
//! which is killed with SIGKILL at a random moment and started again, round after
//! round. After every restart: no write ran upstream without its approval or more
//! than once, no acknowledged message or decision is lost, no call is left
//! running, and the audit chain verifies.
//!
//! The seed is printed; `SWITCHBOARD_SOAK_SEED` replays a run and
//! `SWITCHBOARD_SOAK_ROUNDS` makes it longer (see docs/soak.md).

mod invariants;
mod ledger;
mod model;
mod workload;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde_json::json;
use switchboard_testkit::peers::PeerProcess;
use switchboard_testkit::{DbKind, ScriptedModel, TestDb};

use self::ledger::Ledger;
use self::workload::Workload;
use crate::api::Api;
use crate::process::{Server, run, switchboard, text};

/// Requests in flight together.
const WORKERS: usize = 4;

/// Rounds on SQLite by default; PostgreSQL runs half as many.
const DEFAULT_ROUNDS: u32 = 8;

fn rounds(kind: DbKind) -> u32 {
    let rounds = std::env::var("SWITCHBOARD_SOAK_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(DEFAULT_ROUNDS);
    match kind {
        DbKind::Sqlite => rounds,
        DbKind::Postgres => rounds.div_ceil(2),
    }
}

fn seed() -> u64 {
    std::env::var("SWITCHBOARD_SOAK_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random)
}

/// `switchboard audit verify` on the soak's database exits 0.
fn audit_verifies(dir: &Path, with_db: &impl Fn(Command) -> Command) {
    let mut verify = with_db(switchboard(dir));
    verify.args(["audit", "verify"]);
    let out = run(verify, "");
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
}

async fn soak(kind: DbKind) {
    let seed = seed();
    let rounds = rounds(kind);
    eprintln!("soak on {kind:?}: seed {seed} (SWITCHBOARD_SOAK_SEED replays it), {rounds} rounds");
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();

    let db = TestDb::new(kind).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let tools = dir.path().join("tools.json");
    std::fs::write(&tools, model::tools().to_string()).expect("tools file");
    let executed = dir.path().join("executed.jsonl");
    let executed_flag = executed.display().to_string();
    let upstream = PeerProcess::python_tools_with(&tools, "streamable-http", &["--executed", &executed_flag]);
    let model = ScriptedModel::start().await;
    model.respond_with(model::respond);
    let with_db = |mut cmd: Command| {
        cmd.env("SWITCHBOARD_DATABASE_URL", &db.url)
            .env("OPENAI_BASE_URL", model.openai_base_url())
            .env("OPENAI_API_KEY", "sk-test")
            .env("SWITCHBOARD_MODEL", "openai/scripted");
        cmd
    };
    let api = Api::owner(dir.path(), with_db);
    let store = db.store().await;

    let mut server = Server::start(with_db(switchboard(dir.path())));
    let created = api.json(&server, "/api/v1/connectors", json!({"name": model::CONNECTOR, "url": upstream.url})).await;
    let connector = created["connector"]["id"].as_str().expect("connector id").to_owned();

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut steps = 0;
    for round in 0..rounds {
        let stop = Arc::new(AtomicBool::new(false));
        let workload = Arc::new(Workload {
            api: api.clone(),
            base: server.url.clone(),
            connector: connector.clone(),
            ledger: ledger.clone(),
            stop: stop.clone(),
        });
        let before = ledger.lock().expect("ledger").acknowledged();
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let rng = StdRng::seed_from_u64(rng.r#gen());
                tokio::spawn(workload.clone().run(format!("r{round}w{w}"), rng))
            })
            .collect();

        // A random moment, once the round has had something acknowledged.
        tokio::time::sleep(Duration::from_millis(rng.gen_range(100..=1500))).await;
        let deadline = Instant::now() + Duration::from_secs(60);
        while ledger.lock().expect("ledger").acknowledged() == before {
            assert!(Instant::now() < deadline, "round {round}: nothing was acknowledged within 60 s");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        server.child.kill().expect("kill -9");
        server.child.wait().expect("reaped");
        stop.store(true, Ordering::SeqCst);
        for worker in workers {
            steps += worker.await.expect("worker");
        }

        server = Server::start(with_db(switchboard(dir.path())));
        let acknowledged = ledger.lock().expect("ledger").clone();
        let seen = invariants::check(&store, &acknowledged, &executed).await;
        audit_verifies(dir.path(), &with_db);
        eprintln!("round {round}: {seen:?}");
    }

    // The checks above held over real traffic: one write, asked for, approved and run.
    let final_round = Arc::new(Workload {
        api: api.clone(),
        base: server.url.clone(),
        connector: connector.clone(),
        ledger: ledger.clone(),
        stop: Arc::new(AtomicBool::new(false)),
    });
    let written = final_round.write_and_approve("final").await;
    let acknowledged = ledger.lock().expect("ledger").clone();
    let seen = invariants::check(&store, &acknowledged, &executed).await;
    assert!(seen.executed_writes >= 1 && written, "{seen:?}");
    audit_verifies(dir.path(), &with_db);
    let ledger = ledger.lock().expect("ledger");
    eprintln!(
        "soak on {kind:?} done in {:.1} s: {rounds} kills, {steps} steps, {} conversations, {} messages, \
         {} decisions, {} playground calls acknowledged; {} calls, {} writes and {} reads run upstream, \
         {} interrupted",
        started.elapsed().as_secs_f64(),
        ledger.conversations.len(),
        ledger.messages.len(),
        ledger.decisions.len(),
        ledger.playground_answered.len(),
        seen.calls,
        seen.executed_writes,
        seen.executed_reads,
        seen.interrupted,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_nothing_on_sqlite() {
    soak(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_nothing_on_postgres() {
    soak(DbKind::Postgres).await;
}
