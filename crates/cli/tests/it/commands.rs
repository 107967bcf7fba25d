//! `migrate`, `user add`, `token create`, and what they say when something is wrong.

use crate::process::{run, switchboard, text};

#[test]
fn user_add_then_token_create_prints_only_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut add = switchboard(dir.path());
    add.args(["user", "add", "Ada@Example.com", "--role", "owner", "--name", "Ada", "--password-stdin"]);
    let out = run(add, "correct horse battery\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("added owner ada@example.com"), "{}", text(&out.stdout));

    let mut dup = switchboard(dir.path());
    dup.args(["user", "add", "ada@example.com", "--role", "member", "--password-stdin"]);
    let out = run(dup, "another password\n");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("a user with email ada@example.com already exists"), "{err}");

    let mut short = switchboard(dir.path());
    short.args(["user", "add", "bob@example.com", "--role", "member", "--password-stdin"]);
    let out = run(short, "short\n");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("at least 10 characters"), "{}", text(&out.stderr));

    let mut token = switchboard(dir.path());
    token.args(["token", "create", "ada@example.com", "--name", "ci", "--expires-in-days", "7"]);
    let out = run(token, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "the token alone: {stdout:?}");
    assert!(stdout.starts_with("sb_") && stdout.trim().len() == 46, "{stdout:?}");

    let mut unknown = switchboard(dir.path());
    unknown.args(["token", "create", "nobody@example.com"]);
    let out = run(unknown, "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no user with email nobody@example.com"));
    assert!(text(&out.stdout).is_empty(), "nothing on stdout when it fails");
}

#[test]
fn migrate_runs_alone_and_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    for _ in 0..2 {
        let mut cmd = switchboard(dir.path());
        cmd.arg("migrate");
        let out = run(cmd, "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout).trim(), "database is up to date (sqlite)");
    }
}

#[test]
fn a_database_that_is_down_is_one_clear_line_and_a_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    for command in [&["serve", "--listen", "127.0.0.1:0"][..], &["migrate"], &["token", "create", "a@example.com"]] {
        let mut cmd = switchboard(dir.path());
        cmd.args(["--database-url", "postgres://postgres:hunter2@127.0.0.1:1/switchboard"]).args(command);
        let out = run(cmd, "");
        assert_eq!(out.status.code(), Some(1), "{command:?}");
        let err = text(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{command:?}: one line, got {err}");
        assert!(
            err.starts_with(
                "error: cannot reach the database at postgres://postgres:[redacted]@127.0.0.1:1/switchboard"
            ),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "the password is not printed");
    }

    let mut cmd = switchboard(dir.path());
    cmd.args(["--database-url", "mysql://localhost/db", "migrate"]);
    let out = run(cmd, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("unsupported database url"), "{}", text(&out.stderr));
}

#[test]
fn a_wrong_secret_key_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = switchboard(dir.path());
    cmd.env("SWITCHBOARD_SECRET_KEY", "too-short").arg("migrate");
    let out = run(cmd, "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("SWITCHBOARD_SECRET_KEY"), "{}", text(&out.stderr));
}
