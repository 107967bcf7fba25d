use std::process::ExitCode;

use crate::config::Common;

/// The exit code when the database cannot be opened or read: the trail was not checked.
const UNCHECKED: u8 = 2;

/// `switchboard audit verify`: walk the audit trail's hash chain. Exit 0 when it
/// holds, 1 naming the first broken record, 2 when the database cannot be read.
pub(super) async fn verify(common: &Common) -> ExitCode {
    let store = match super::open_store(common).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(UNCHECKED);
        }
    };
    let checked = store.verify_audit_trail().await;
    store.close().await;
    match checked {
        Ok(Ok(trail)) => {
            println!("audit trail verified: {} records", trail.records);
            println!("head hash: {}", trail.head_hash);
            if trail.unchained > 0 {
                println!(
                    "the first {} were written before the trail was chained: checked for gaps, not for changes",
                    trail.unchained
                );
            }
            ExitCode::SUCCESS
        }
        Ok(Err(broken)) => {
            println!("audit trail broken at {broken}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: could not read the audit trail: {e}");
            ExitCode::from(UNCHECKED)
        }
    }
}
