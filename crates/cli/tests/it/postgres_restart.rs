//! PostgreSQL crashes, or is restarted, while `switchboard serve` is busy: requests in
//! the outage are told plainly that the database is unreachable (503 problem+json, in
//! bounded time), the server serves again once the database is back without being
//! restarted itself, nothing it acknowledged is lost and the audit trail verifies.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::pg_cluster::PgCluster;
use crate::process::{Server, run, switchboard, text};

/// One way of taking the database away.
type StopDatabase = fn(&mut PgCluster);

/// What one request of the workload got: its status, content type and body.
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    content_type: String,
    body: Value,
}

async fn create_group(client: &reqwest::Client, server_url: &str, token: &str, name: &str) -> Answer {
    let response = client
        .post(format!("{server_url}/api/v1/groups"))
        .bearer_auth(token)
        .json(&json!({"name": name}))
        // Bounded: an outage must end in an answer, never in a hang.
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .expect("the server answers, whatever the database does");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    Answer { status, content_type, body: response.json().await.unwrap_or(Value::Null) }
}

fn assert_acknowledged_or_unavailable(name: &str, answer: &Answer) {
    match answer.status {
        201 => {}
        503 => {
            assert_eq!(answer.content_type, "application/problem+json", "{name}: {answer:?}");
            assert_eq!(answer.body["code"], "unavailable", "{name}: {answer:?}");
        }
        _ => panic!("{name}: neither done nor a clear 503: {answer:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_crash_or_restart_mid_workload_is_told_survived_and_loses_nothing() {
    let mut pg = PgCluster::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = pg.url();
    let with_db = |mut cmd: std::process::Command| {
        cmd.env("SWITCHBOARD_DATABASE_URL", &database_url);
        cmd
    };
    let mut add = with_db(switchboard(dir.path()));
    add.args(["user", "add", "ada@example.com", "--role", "owner", "--password-stdin"]);
    let out = run(add, "correct horse battery\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut create = with_db(switchboard(dir.path()));
    create.args(["token", "create", "ada@example.com"]);
    let token = text(&run(create, "").stdout).trim().to_owned();
    let server = Server::start(with_db(switchboard(dir.path())));
    let client = switchboard_testkit::http_client();

    // A workload that runs through the crash and the restart, one group after another.
    let answers: Arc<Mutex<Vec<(String, Answer)>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workload = {
        let (client, url, token, answers, stop) =
            (client.clone(), server.url.clone(), token.clone(), answers.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let name = format!("group {n}");
                let answer = create_group(&client, &url, &token, &name).await;
                answers.lock().expect("answers").push((name, answer));
                n += 1;
            }
        })
    };
    let acknowledged = |answers: &Mutex<Vec<(String, Answer)>>| {
        answers.lock().expect("answers").iter().filter(|(_, a)| a.status == 201).count()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged(&answers) < 5 {
        assert!(Instant::now() < deadline, "the workload did not get going: {:?}", answers.lock());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A crash, then an operator's restart, each in the middle of the workload.
    let stops: [(&str, StopDatabase); 2] = [("a crash", PgCluster::crash), ("a fast shutdown", PgCluster::shut_down)];
    for (how, stop_database) in stops {
        stop_database(&mut pg);
        // While the database is down, a request is answered, and plainly.
        let outage = create_group(&client, &server.url, &token, &format!("in the outage after {how}")).await;
        assert_eq!(outage.status, 503, "{how}: {outage:?}");
        assert_acknowledged_or_unavailable(how, &outage);
        let health = client.get(format!("{}/readyz", server.url)).send().await.expect("readyz");
        assert_eq!(health.status().as_u16(), 503, "{how}: not ready without its database");

        pg.run().await;
        // Back without restarting the server: the workload is acknowledged again.
        let resumed = answers.lock().expect("answers").len();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let recent = answers.lock().expect("answers")[resumed..].iter().filter(|(_, a)| a.status == 201).count();
            if recent >= 3 {
                break;
            }
            assert!(Instant::now() < deadline, "{how}: the server did not recover: {:?}", answers.lock());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    workload.await.expect("the workload ends");

    // Every answer was an acknowledgement or a clear 503, and every acknowledged group is kept.
    let answers = answers.lock().expect("answers").clone();
    for (name, answer) in &answers {
        assert_acknowledged_or_unavailable(name, answer);
    }
    let listed = client
        .get(format!("{}/api/v1/groups", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list groups")
        .text()
        .await
        .expect("body");
    let kept: Vec<&String> = answers.iter().filter(|(_, a)| a.status == 201).map(|(name, _)| name).collect();
    for name in &kept {
        assert!(listed.contains(&format!("\"{name}\"")), "{name} was acknowledged and is lost: {listed}");
    }

    // The audit trail, read by the operator's command, is one unbroken chain.
    let mut verify = with_db(switchboard(dir.path()));
    verify.args(["audit", "verify"]);
    let out = run(verify, "");
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}{}", text(&out.stderr));
    let records: usize = said
        .strip_prefix("audit trail verified: ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(records >= kept.len(), "a record per acknowledged group: {said}");
}
