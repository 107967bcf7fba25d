//! The audit trail's vocabulary and its hash chain.
//!
//! Every record names what happened ([`AuditKind`]). Records are chained: record
//! `n` carries the hash of record `n - 1` (`prev_hash`) and its own
//! [`record_hash`], SHA-256 over that previous hash followed by the canonical JSON
//! of the record's content. Changing, removing or reordering a record breaks the
//! chain at that record, and the head (the last sequence number and hash, kept
//! apart) shows when records were cut off the end.

use std::fmt;
use std::str::FromStr;

use serde_json::{Value, json};

use crate::digest::{canonical_json, sha256_hex};

/// The `prev_hash` of the first record of a chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an audit record records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditKind {
    /// A tool call, from a conversation or the playground, with its outcome.
    ToolCall,
    /// A person's decision on a conversation's write call.
    Decision,
    /// A person's answer to a server's request for input during a call (the choice, never the content).
    Elicitation,
    UserCreated,
    UserRenamed,
    UserRoleChanged,
    UserPasswordReset,
    UserRemoved,
    GroupCreated,
    GroupDeleted,
    GroupMemberAdded,
    GroupMemberRemoved,
    /// Workspace settings: developer-mode policy and groups, default model, network policy.
    SettingsChanged,
    TokenCreated,
    TokenRevoked,
    ConnectorCreated,
    ConnectorRefreshed,
    ConnectorDeleted,
    /// An action of a connector turned on or off.
    ToolToggled,
    /// A draft published to the workspace, its definitions pinned.
    ConnectorPublished,
    ConnectorUnpublished,
    /// Whom a published app is shared with.
    ConnectorAccessChanged,
    /// An admin raised an action to a write, or took that back.
    ToolClassificationChanged,
    /// A change set of a published app accepted: its listing pinned.
    ChangeAccepted,
    ChangeRejected,
    /// A person connected to an OAuth-protected app (never the token).
    OAuthConnected,
    /// A person disconnected: the grant revoked where offered, then deleted.
    OAuthDisconnected,
}

impl AuditKind {
    pub const ALL: [AuditKind; 27] = [
        AuditKind::ToolCall,
        AuditKind::Decision,
        AuditKind::Elicitation,
        AuditKind::UserCreated,
        AuditKind::UserRenamed,
        AuditKind::UserRoleChanged,
        AuditKind::UserPasswordReset,
        AuditKind::UserRemoved,
        AuditKind::GroupCreated,
        AuditKind::GroupDeleted,
        AuditKind::GroupMemberAdded,
        AuditKind::GroupMemberRemoved,
        AuditKind::SettingsChanged,
        AuditKind::TokenCreated,
        AuditKind::TokenRevoked,
        AuditKind::ConnectorCreated,
        AuditKind::ConnectorRefreshed,
        AuditKind::ConnectorDeleted,
        AuditKind::ToolToggled,
        AuditKind::ConnectorPublished,
        AuditKind::ConnectorUnpublished,
        AuditKind::ConnectorAccessChanged,
        AuditKind::ToolClassificationChanged,
        AuditKind::ChangeAccepted,
        AuditKind::ChangeRejected,
        AuditKind::OAuthConnected,
        AuditKind::OAuthDisconnected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ToolCall => "tool_call",
            Self::Decision => "decision",
            Self::Elicitation => "elicitation",
            Self::UserCreated => "user.created",
            Self::UserRenamed => "user.renamed",
            Self::UserRoleChanged => "user.role_changed",
            Self::UserPasswordReset => "user.password_reset",
            Self::UserRemoved => "user.removed",
            Self::GroupCreated => "group.created",
            Self::GroupDeleted => "group.deleted",
            Self::GroupMemberAdded => "group.member_added",
            Self::GroupMemberRemoved => "group.member_removed",
            Self::SettingsChanged => "settings.changed",
            Self::TokenCreated => "token.created",
            Self::TokenRevoked => "token.revoked",
            Self::ConnectorCreated => "connector.created",
            Self::ConnectorRefreshed => "connector.refreshed",
            Self::ConnectorDeleted => "connector.deleted",
            Self::ToolToggled => "tool.toggled",
            Self::ConnectorPublished => "connector.published",
            Self::ConnectorUnpublished => "connector.unpublished",
            Self::ConnectorAccessChanged => "connector.access_changed",
            Self::ToolClassificationChanged => "tool.classification_changed",
            Self::ChangeAccepted => "change.accepted",
            Self::ChangeRejected => "change.rejected",
            Self::OAuthConnected => "connector.oauth_connected",
            Self::OAuthDisconnected => "connector.oauth_disconnected",
        }
    }

    /// A change an owner, admin or user made to the workspace or their account,
    /// rather than a tool call or a decision on one.
    pub fn is_admin_change(self) -> bool {
        !matches!(self, Self::ToolCall | Self::Decision | Self::Elicitation)
    }
}

impl fmt::Display for AuditKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text named no kind of audit record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown audit record kind {0:?}")]
pub struct UnknownAuditKind(pub String);

impl FromStr for AuditKind {
    type Err = UnknownAuditKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownAuditKind(s.to_owned()))
    }
}

/// A record's content as it is hashed: every stored field but the hashes, in
/// the text the store keeps (ids as UUID strings, `at` in Unix milliseconds).
#[derive(Clone, Copy, Debug)]
pub struct ChainedRecord<'a> {
    pub seq: i64,
    pub id: &'a str,
    pub at_ms: i64,
    pub kind: &'a str,
    pub actor: Option<&'a str>,
    pub conversation: Option<&'a str>,
    pub tool_call: Option<&'a str>,
    pub connector: Option<&'a str>,
    pub tool: Option<&'a str>,
    pub classification: Option<&'a str>,
    pub decision: Option<&'a str>,
    pub status: Option<&'a str>,
    pub latency_us: Option<i64>,
    pub detail: &'a Value,
}

impl ChainedRecord<'_> {
    /// The record's content as canonical JSON (keys sorted, no spaces).
    pub fn canonical(&self) -> String {
        canonical_json(&json!({
            "seq": self.seq,
            "id": self.id,
            "at": self.at_ms,
            "kind": self.kind,
            "actor": self.actor,
            "conversation": self.conversation,
            "tool_call": self.tool_call,
            "connector": self.connector,
            "tool": self.tool,
            "classification": self.classification,
            "decision": self.decision,
            "status": self.status,
            "latency_us": self.latency_us,
            "detail": self.detail,
        }))
    }
}

/// The hash of `record` following a record whose hash is `prev_hash`:
/// SHA-256 (lowercase hex) of `prev_hash` followed by the record's canonical JSON.
pub fn record_hash(prev_hash: &str, record: &ChainedRecord<'_>) -> String {
    let canonical = record.canonical();
    let mut text = String::with_capacity(prev_hash.len() + canonical.len());
    text.push_str(prev_hash);
    text.push_str(&canonical);
    sha256_hex(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(detail: &Value) -> ChainedRecord<'_> {
        ChainedRecord {
            seq: 1,
            id: "0190d6e4-0000-7000-8000-000000000001",
            at_ms: 1_700_000_000_000,
            kind: "tool_call",
            actor: Some("0190d6e4-0000-7000-8000-0000000000aa"),
            conversation: None,
            tool_call: None,
            connector: Some("0190d6e4-0000-7000-8000-0000000000bb"),
            tool: Some("echo"),
            classification: Some("read"),
            decision: None,
            status: Some("completed"),
            latency_us: Some(1200),
            detail,
        }
    }

    #[test]
    fn kinds_parse_from_their_names_only() {
        for kind in AuditKind::ALL {
            assert_eq!(kind.as_str().parse::<AuditKind>(), Ok(kind));
        }
        assert!("Tool_Call".parse::<AuditKind>().is_err());
        assert!("user".parse::<AuditKind>().is_err());
        assert!(!AuditKind::ToolCall.is_admin_change() && AuditKind::TokenRevoked.is_admin_change());
    }

    #[test]
    fn the_canonical_form_is_fixed() {
        let detail = json!({"b": [1, 2], "a": "x"});
        assert_eq!(
            record(&detail).canonical(),
            r#"{"actor":"0190d6e4-0000-7000-8000-0000000000aa","at":1700000000000,"classification":"read","connector":"0190d6e4-0000-7000-8000-0000000000bb","conversation":null,"decision":null,"detail":{"a":"x","b":[1,2]},"id":"0190d6e4-0000-7000-8000-000000000001","kind":"tool_call","latency_us":1200,"seq":1,"status":"completed","tool":"echo","tool_call":null}"#
        );
    }

    #[test]
    fn the_hash_covers_the_previous_hash_and_every_field() {
        let detail = json!({"arguments": {"q": "x"}});
        let base = record_hash(GENESIS_HASH, &record(&detail));
        assert_eq!(base.len(), 64);
        assert_eq!(base, record_hash(GENESIS_HASH, &record(&json!({"arguments": {"q": "x"}}))), "deterministic");
        assert_ne!(base, record_hash(&"1".repeat(64), &record(&detail)));
        let other = json!({"arguments": {"q": "y"}});
        assert_ne!(base, record_hash(GENESIS_HASH, &record(&other)));
        for changed in [
            ChainedRecord { seq: 2, ..record(&detail) },
            ChainedRecord { at_ms: 1_700_000_000_001, ..record(&detail) },
            ChainedRecord { actor: None, ..record(&detail) },
            ChainedRecord { tool: Some("echo2"), ..record(&detail) },
            ChainedRecord { latency_us: None, ..record(&detail) },
            ChainedRecord { status: Some("failed"), ..record(&detail) },
        ] {
            assert_ne!(base, record_hash(GENESIS_HASH, &changed), "{changed:?}");
        }
    }
}
