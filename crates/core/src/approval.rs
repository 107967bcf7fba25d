//! Which actions a conversation is offered, which run without asking, who may
//! decide, and the last check before a call is sent (DESIGN D3–D5, D8, S5).

use serde_json::Value;

use crate::UserId;
use crate::catalog::Classification;
use crate::conversation::{CallStatus, Decision, DecisionKind, Mode};

/// Whether a conversation in `mode` is offered an action of `classification`.
pub fn offered(mode: Mode, classification: Classification) -> bool {
    match mode {
        Mode::Default => true,
        Mode::ReadOnly | Mode::Knowledge => classification == Classification::Read,
    }
}

/// What happens to a call the model asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Send it now.
    Run(DecisionKind),
    /// Answer the model with a denial, without sending it.
    Refuse(DecisionKind),
    /// Wait for the user.
    Ask,
}

/// A choice the owner asked to remember for a tool in a conversation and page
/// session, with the definition of the tool it was made on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Remembered<'a> {
    pub decision: Decision,
    /// [`Tool::definition_digest`](crate::catalog::Tool::definition_digest) of the
    /// definition in force when the choice was made.
    pub definition_digest: &'a str,
}

/// Reads run; writes follow a remembered choice for this tool, conversation and
/// page session, or wait for the user. A choice remembered for another definition
/// of the tool (its description, schemas or annotations changed since) is no
/// choice: the user is asked again.
pub fn gate(classification: Classification, remembered: Option<Remembered<'_>>, definition_digest: &str) -> Gate {
    let remembered = remembered.filter(|r| r.definition_digest == definition_digest).map(|r| r.decision);
    match (classification, remembered) {
        (Classification::Read, _) => Gate::Run(DecisionKind::AutoRead),
        (Classification::Write, Some(Decision::Approve)) => Gate::Run(DecisionKind::Remembered),
        (Classification::Write, Some(Decision::Deny)) => Gate::Refuse(DecisionKind::RememberedDeny),
        (Classification::Write, None) => Gate::Ask,
    }
}

/// Why a decision is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecisionRefused {
    #[error("only the conversation's owner can decide its tool calls")]
    NotOwner,
    #[error("this tool call is not waiting for a decision (it is {})", .0.as_str())]
    NotAwaiting(CallStatus),
}

/// Only the conversation's owner decides, and only a call that is waiting.
pub fn may_decide(actor: UserId, owner: UserId, status: CallStatus) -> Result<(), DecisionRefused> {
    if actor != owner {
        return Err(DecisionRefused::NotOwner);
    }
    if status != CallStatus::AwaitingApproval {
        return Err(DecisionRefused::NotAwaiting(status));
    }
    Ok(())
}

/// How the decision to send a call was recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded<'a> {
    pub kind: DecisionKind,
    /// [`arguments_digest`] of the arguments the decision was made on.
    pub arguments_digest: &'a str,
}

/// The last check before a call is sent: a read needs nothing; a write needs a
/// recorded approval (or a live remembered one) of exactly these arguments.
pub fn may_send(classification: Classification, recorded: Option<&Recorded<'_>>, arguments_digest: &str) -> bool {
    match classification {
        Classification::Read => true,
        Classification::Write => recorded.is_some_and(|r| {
            matches!(r.kind, DecisionKind::Approved | DecisionKind::Remembered)
                && r.arguments_digest == arguments_digest
        }),
    }
}

/// SHA-256 (hex) of the arguments' canonical JSON (object keys sorted).
pub fn arguments_digest(arguments: &Value) -> String {
    crate::digest::json_digest(arguments)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::catalog::Classification::{Read, Write};

    #[test]
    fn modes_offer_reads_and_only_default_offers_writes() {
        for (mode, class, expect) in [
            (Mode::Default, Read, true),
            (Mode::Default, Write, true),
            (Mode::ReadOnly, Read, true),
            (Mode::ReadOnly, Write, false),
            (Mode::Knowledge, Read, true),
            (Mode::Knowledge, Write, false),
        ] {
            assert_eq!(offered(mode, class), expect, "{mode:?} {class:?}");
        }
    }

    #[test]
    fn reads_run_and_writes_ask_unless_remembered_for_the_same_definition() {
        const NOW: &str = "digest of the definition in force";
        const BEFORE: &str = "digest of the definition the choice was made on";
        let remembered = |decision, definition_digest| Some(Remembered { decision, definition_digest });
        for (class, remembered, expect) in [
            (Read, None, Gate::Run(DecisionKind::AutoRead)),
            (Read, remembered(Decision::Deny, NOW), Gate::Run(DecisionKind::AutoRead)),
            (Read, remembered(Decision::Deny, BEFORE), Gate::Run(DecisionKind::AutoRead)),
            (Write, None, Gate::Ask),
            (Write, remembered(Decision::Approve, NOW), Gate::Run(DecisionKind::Remembered)),
            (Write, remembered(Decision::Deny, NOW), Gate::Refuse(DecisionKind::RememberedDeny)),
            // The tool changed since the choice: ask again, whichever it was.
            (Write, remembered(Decision::Approve, BEFORE), Gate::Ask),
            (Write, remembered(Decision::Deny, BEFORE), Gate::Ask),
            (Write, remembered(Decision::Approve, ""), Gate::Ask),
        ] {
            assert_eq!(gate(class, remembered, NOW), expect, "{class:?} {remembered:?}");
        }
    }

    #[test]
    fn only_the_owner_decides_a_waiting_call() {
        let (owner, other) = (UserId::new(), UserId::new());
        assert_eq!(may_decide(owner, owner, CallStatus::AwaitingApproval), Ok(()));
        assert_eq!(may_decide(other, owner, CallStatus::AwaitingApproval), Err(DecisionRefused::NotOwner));
        for status in [CallStatus::Completed, CallStatus::Denied, CallStatus::Running, CallStatus::Cancelled] {
            assert_eq!(may_decide(owner, owner, status), Err(DecisionRefused::NotAwaiting(status)));
        }
    }

    #[test]
    fn a_write_is_sent_only_with_an_approval_of_the_same_arguments() {
        let digest = arguments_digest(&json!({"title": "a", "column": "todo"}));
        let other = arguments_digest(&json!({"title": "b", "column": "todo"}));
        let approved = Recorded { kind: DecisionKind::Approved, arguments_digest: &digest };
        let remembered = Recorded { kind: DecisionKind::Remembered, arguments_digest: &digest };
        let denied = Recorded { kind: DecisionKind::Denied, arguments_digest: &digest };
        let auto = Recorded { kind: DecisionKind::AutoRead, arguments_digest: &digest };
        assert!(may_send(Read, None, &digest));
        assert!(may_send(Write, Some(&approved), &digest));
        assert!(may_send(Write, Some(&remembered), &digest));
        assert!(!may_send(Write, None, &digest));
        assert!(!may_send(Write, Some(&denied), &digest));
        assert!(!may_send(Write, Some(&auto), &digest), "a write is never auto-read");
        assert!(!may_send(Write, Some(&approved), &other), "different arguments need a new approval");
    }

    #[test]
    fn the_digest_ignores_key_order() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":2,"x":3}}"#).expect("json");
        let b: Value = serde_json::from_str(r#"{"a":{"x":3,"y":2},"b":1}"#).expect("json");
        assert_eq!(arguments_digest(&a), arguments_digest(&b));
        assert_eq!(arguments_digest(&a).len(), 64);
    }
}
