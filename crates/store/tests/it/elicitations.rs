//! Requests for the person's input during a call: recorded pending, answered once
//! (with the audit entry in the same transaction), expired by the instance that
//! waited on them after it stopped, and gone with their conversation.

use serde_json::json;
use switchboard_core::conversation::CallStatus;
use switchboard_core::elicitation::ElicitationAction;
use switchboard_core::{AuditKind, Role};
use switchboard_store::{AuditEvent, AuditFilter, ElicitationState, InstanceId, NewElicitation, StoreError};
use time::{Duration, OffsetDateTime};

use super::conversations::recovery_touches_only_its_own_instance::turn_with_a_call;
use super::users::new_user;
use super::*;

mod answered_once_and_expired_by_its_instance {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let owner = store.create_user(new_user("dev@example.com", Role::Member)).await.expect("user").id;
        let (a, b) = (InstanceId::parse("replica-a").expect("id"), InstanceId::parse("replica-b").expect("id"));
        let (conversation, call) = turn_with_a_call(&store, owner, &a, CallStatus::Running).await;
        let request =
            json!({"mode": "form", "message": "Who?", "requestedSchema": {"type": "object", "properties": {}}});
        let new = |instance| NewElicitation {
            conversation_id: conversation,
            call_id: call.id,
            connector_name: "Board",
            request: &request,
            instance,
            expires_at: OffsetDateTime::now_utc() + Duration::minutes(1),
        };
        let first = store.insert_elicitation(new(&a)).await.expect("recorded");
        let second = store.insert_elicitation(new(&a)).await.expect("recorded");
        let other = store.insert_elicitation(new(&b)).await.expect("recorded");
        assert_eq!(first.state, ElicitationState::Pending);
        let pending = store.pending_elicitations(conversation).await.expect("pending");
        assert_eq!(pending.len(), 3);
        assert_eq!(store.elicitation(first.id).await.expect("read"), first, "read back as written");

        // Answered once, with its audit entry; a second answer is a conflict and adds no entry.
        let audit = |e: &switchboard_store::Elicitation| {
            vec![AuditEvent {
                kind: AuditKind::Elicitation,
                actor_id: Some(owner),
                conversation_id: Some(e.conversation_id),
                tool_call_id: Some(e.call_id),
                connector_id: None,
                tool: None,
                classification: None,
                decision: None,
                status: Some(e.state.as_str().into()),
                latency_us: None,
                detail: json!({"action": e.state.as_str()}),
            }]
        };
        let answered =
            store.answer_elicitation(first.id, ElicitationAction::Accept, owner, audit).await.expect("answer");
        assert_eq!(answered.state, ElicitationState::Answered(ElicitationAction::Accept));
        assert_eq!(answered.answered_by, Some(owner));
        let again = store.answer_elicitation(first.id, ElicitationAction::Decline, owner, audit).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
        let filter = AuditFilter { kind: Some(AuditKind::Elicitation), ..AuditFilter::default() };
        let entries = store.audit_newest_first(&filter, None, 10).await.expect("audit");
        assert_eq!(entries.len(), 1, "{entries:?}");

        // After a stop, the instance that waited expires its own pending requests only.
        assert_eq!(store.expire_elicitations_of(&a).await.expect("expired"), 1);
        let second = store.elicitation(second.id).await.expect("read");
        assert_eq!(second.state, ElicitationState::Expired);
        let late = store.answer_elicitation(second.id, ElicitationAction::Accept, owner, audit).await;
        assert!(matches!(late, Err(StoreError::Conflict(_))), "an expired request is not answered: {late:?}");
        let left = store.pending_elicitations(conversation).await.expect("pending");
        assert_eq!(left.iter().map(|e| e.id).collect::<Vec<_>>(), [other.id], "the other instance's still waits");
        assert!(store.expire_elicitation(other.id).await.expect("expire"));
        assert!(!store.expire_elicitation(other.id).await.expect("expire"), "once");

        // Gone with the conversation.
        store.delete_conversation(conversation).await.expect("deleted");
        assert!(matches!(store.elicitation(other.id).await, Err(StoreError::NotFound(_))));
    }
}

on_both_backends!(answered_once_and_expired_by_its_instance);
