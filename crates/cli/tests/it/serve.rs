//! `switchboard serve`: first run, both databases, configuration, shutdown.

use serde_json::json;
use switchboard_testkit::TestDb;

use crate::process::{Server, run, switchboard, text};

#[tokio::test]
async fn first_run_prints_a_setup_link_that_creates_the_owner() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(switchboard(dir.path()));
    let link = server
        .stdout
        .iter()
        .find_map(|l| l.trim().strip_prefix(&format!("{}/setup?token=", server.url)).map(str::to_owned))
        .unwrap_or_else(|| panic!("a setup link in {:?}", server.stdout));

    let client = switchboard_testkit::http_client();
    assert_eq!(client.get(server.at("/healthz")).send().await.expect("healthz").status(), 200);
    assert_eq!(client.get(server.at("/readyz")).send().await.expect("readyz").status(), 200);
    let page = client.get(server.at(&format!("/setup?token={link}"))).send().await.expect("setup page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("Set up Switchboard"));

    let body = json!({"token": link, "email": "owner@example.com", "name": "Owner", "password": "correct horse"});
    let created = client.post(server.at("/api/v1/setup")).json(&body).send().await.expect("setup");
    assert_eq!(created.status(), 201);
    let again = client.post(server.at("/api/v1/setup")).json(&body).send().await.expect("setup again");
    assert_eq!(again.status(), 409);

    assert!(server.terminate().success(), "SIGTERM is a clean exit");
    assert!(dir.path().join("switchboard.db").exists(), "SQLite lives in the data dir");
    let key = dir.path().join("secret.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&key).expect("key file").permissions().mode() & 0o777, 0o600);
    }

    // A second start finds the owner and prints no setup link.
    let server = Server::start(switchboard(dir.path()));
    assert!(!server.stdout.iter().any(|l| l.contains("/setup?token=")), "{:?}", server.stdout);
}

#[tokio::test]
async fn postgres_database_url_works_for_every_command() {
    let db = TestDb::postgres().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let with_db = || {
        let mut cmd = switchboard(dir.path());
        cmd.arg("--database-url").arg(&db.url);
        cmd
    };
    let mut migrate = with_db();
    migrate.arg("migrate");
    let out = run(migrate, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("postgres"));

    let mut add = with_db();
    add.args(["user", "add", "owner@example.com", "--role", "owner", "--password-stdin"]);
    let out = run(add, "correct horse battery\n");
    assert!(out.status.success(), "{}", text(&out.stderr));

    let mut create = with_db();
    create.args(["token", "create", "owner@example.com"]);
    let out = run(create, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();

    // The URL can also come from the environment.
    let mut serve = switchboard(dir.path());
    serve.env("SWITCHBOARD_DATABASE_URL", &db.url);
    let server = Server::start(serve);
    assert!(!server.stdout.iter().any(|l| l.contains("/setup?token=")), "the owner exists: {:?}", server.stdout);
    let client = switchboard_testkit::http_client();
    assert_eq!(client.get(server.at("/readyz")).send().await.expect("readyz").status(), 200);
    let me: serde_json::Value =
        client.get(server.at("/api/v1/me")).bearer_auth(&token).send().await.expect("me").json().await.expect("json");
    assert_eq!(me["email"], "owner@example.com");
    assert!(!dir.path().join("switchboard.db").exists(), "no SQLite file when PostgreSQL is configured");
    assert!(server.terminate().success());
}

#[test]
fn flags_beat_environment_beat_config_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("switchboard.toml");
    std::fs::write(&config, "public_url = \"http://from-file.example:1\"\n").expect("write config");

    let mut cmd = switchboard(dir.path());
    cmd.arg("--config").arg(&config);
    let server = Server::start(cmd);
    assert!(server.stdout.iter().any(|l| l.contains("public URL http://from-file.example:1")), "{:?}", server.stdout);
    drop(server);

    let mut cmd = switchboard(dir.path());
    cmd.env("SWITCHBOARD_CONFIG", &config).env("SWITCHBOARD_PUBLIC_URL", "http://from-env.example:2");
    let server = Server::start(cmd);
    assert!(server.stdout.iter().any(|l| l.contains("public URL http://from-env.example:2")), "{:?}", server.stdout);
    drop(server);

    let mut cmd = switchboard(dir.path());
    cmd.env("SWITCHBOARD_CONFIG", &config).env("SWITCHBOARD_PUBLIC_URL", "http://from-env.example:2");
    let server = Server::start_with_args(cmd, &["--public-url", "http://from-flag.example:3"]);
    assert!(server.stdout.iter().any(|l| l.contains("public URL http://from-flag.example:3")), "{:?}", server.stdout);
}

/// Under load every connection is a descriptor: 500 conversations at once held about
/// 1,300 (`bench load`), and with the soft limit of 1,024 many systems start a process
/// with, accepts and requests to the model failed. `serve` raises its soft limit to the
/// hard one; the hard limit stays the operator's.
#[cfg(target_os = "linux")]
#[test]
fn serve_raises_its_open_file_limit_to_the_hard_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let direct = switchboard(dir.path());
    // The same command, started by a shell that first lowers the soft limit.
    let mut cmd = std::process::Command::new("sh");
    cmd.env_clear().arg("-c").arg(r#"ulimit -S -n 256 && exec "$0" "$@""#).arg(direct.get_program());
    cmd.args(direct.get_args());
    for (name, value) in direct.get_envs() {
        if let Some(value) = value {
            cmd.env(name, value);
        }
    }
    let server = Server::start(cmd);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.child.id())).expect("limits");
    let line = limits.lines().find(|l| l.starts_with("Max open files")).expect("Max open files");
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields.get(3), fields.get(4), "soft limit raised to the hard one: {line}");
    assert_ne!(fields.get(3), Some(&"256"), "{line}");
}
