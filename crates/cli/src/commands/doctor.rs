use std::process::ExitCode;

use switchboard_core::doctor::{Check, Status};
use switchboard_mcp::DoctorReport;
use switchboard_web::DoctorView;

use crate::cli::DoctorArgs;
use crate::config::{self, Common};

/// `switchboard doctor URL [--json]`: the report on stdout; exit 1 when a check failed.
/// Needs no database: the address policy is the default one.
pub(super) async fn run(common: &Common, args: &DoctorArgs) -> anyhow::Result<ExitCode> {
    let options = config::upstream(&common.file);
    let report = switchboard_mcp::examine(&args.url, &options).await;
    let text =
        if args.json { serde_json::to_string_pretty(&DoctorView::from(&report))? + "\n" } else { human(&report) };
    print!("{text}");
    Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn label(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASS",
        Status::Warn => "WARN",
        Status::Fail => "FAIL",
    }
}

/// A heading, one line per check (`PASS  title — detail`, its hint indented below),
/// and a verdict.
fn human(report: &DoctorReport) -> String {
    let mut out = format!("Doctor report for {}\n", report.url);
    let mut about = vec![];
    if let Some(server) = &report.server {
        about.push(format!("server {} {}", server.name, server.version).trim_end().to_owned());
    }
    match report.transport.as_deref() {
        Some("streamable_http") => about.push("Streamable HTTP".to_owned()),
        Some("sse") => about.push("HTTP+SSE".to_owned()),
        Some(other) => about.push(other.to_owned()),
        None => {}
    }
    if let Some(version) = &report.protocol_version {
        about.push(format!("protocol {version}"));
    }
    if !about.is_empty() {
        out.push_str(&about.join(" · "));
        out.push('\n');
    }
    out.push('\n');
    for Check { status, title, detail, hint, .. } in &report.checks {
        out.push_str(&format!("{}  {title} — {detail}\n", label(*status)));
        if let Some(hint) = hint {
            out.push_str(&format!("      hint: {hint}\n"));
        }
    }
    let count = |s: Status| report.checks.iter().filter(|c| c.status == s).count();
    let (pass, warn, fail) = (count(Status::Pass), count(Status::Warn), count(Status::Fail));
    let verdict = if report.ok() { "ready" } else { "not ready" };
    out.push_str(&format!("\n{verdict}: {pass} passed, {warn} warned, {fail} failed\n"));
    out
}

#[cfg(test)]
mod tests {
    use switchboard_mcp::ServerIdentity;

    use super::*;

    #[test]
    fn one_line_per_check_with_its_hint_indented() {
        let report = DoctorReport {
            url: "http://127.0.0.1:3333/mcp".into(),
            transport: Some("streamable_http".into()),
            protocol_version: Some("2026-07-28".into()),
            server: Some(ServerIdentity { name: "kanban".into(), version: "0.1.0".into() }),
            checks: vec![
                Check::pass("reachability", "Reachability", "it answers"),
                Check::warn("descriptions", "Descriptions", "no guidance: echo", "say when to use it"),
                Check::fail("names", "Tool names", "a (2 times)", "rename one"),
            ],
        };
        assert_eq!(
            human(&report),
            "Doctor report for http://127.0.0.1:3333/mcp\n\
             server kanban 0.1.0 · Streamable HTTP · protocol 2026-07-28\n\
             \n\
             PASS  Reachability — it answers\n\
             WARN  Descriptions — no guidance: echo\n      hint: say when to use it\n\
             FAIL  Tool names — a (2 times)\n      hint: rename one\n\
             \n\
             not ready: 1 passed, 1 warned, 1 failed\n"
        );
    }
}
