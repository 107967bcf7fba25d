use serde_json::json;
use switchboard_core::catalog::Classification;
use switchboard_core::conversation::{CallStatus, Decision, DecisionKind, Mode, Role as MessageRole, TurnState};
use switchboard_core::{ConnectorId, Role};
use switchboard_store::{AuditEvent, CallEnd, NewConversation, NewToolCall, StoreError};
use time::OffsetDateTime;

use super::users::new_user;
use super::*;

fn call(id: &str, class: Classification, status: CallStatus) -> NewToolCall {
    NewToolCall {
        provider_call_id: id.into(),
        name: format!("board__{id}"),
        connector_id: Some(ConnectorId::new()),
        connector_name: Some("Board".into()),
        tool: Some(id.into()),
        classification: Some(class),
        arguments: "{\"title\":\"x\"}".into(),
        arguments_digest: Some("d".into()),
        status,
        decision: (status == CallStatus::Running).then_some(DecisionKind::AutoRead),
        decided_by: None,
        client_session: None,
        outcome: None,
    }
}

mod a_turn_is_recorded_as_it_happens {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let owner = store.create_user(new_user("dev@example.com", Role::Member)).await.expect("user");
        let connector = ConnectorId::new();
        let c = store
            .create_conversation(NewConversation {
                owner_id: owner.id,
                title: "New conversation".into(),
                model: "openai/gpt".into(),
                mode: Mode::ReadOnly,
                connectors: vec![connector],
            })
            .await
            .expect("created");
        assert_eq!((c.state, c.mode, c.connectors.clone()), (TurnState::Idle, Mode::ReadOnly, vec![connector]));

        store.move_turn(c.id, TurnState::Idle, TurnState::Running, 0).await.expect("starts");
        let again = store.move_turn(c.id, TurnState::Idle, TurnState::Running, 0).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "two turns never run at once: {again:?}");

        store.add_message(c.id, MessageRole::User, "hello", Some("page-1")).await.expect("user message");
        let (message, calls) = store
            .add_assistant_message(
                c.id,
                "Let me look",
                &[
                    call("list", Classification::Read, CallStatus::Running),
                    call("add", Classification::Write, CallStatus::AwaitingApproval),
                ],
            )
            .await
            .expect("assistant message");
        assert_eq!((message.seq, message.role), (2, MessageRole::Assistant));
        assert_eq!(
            calls.iter().map(|c| c.status).collect::<Vec<_>>(),
            [CallStatus::Running, CallStatus::AwaitingApproval]
        );

        let read = store
            .finish_call(
                calls[0].id,
                CallEnd {
                    status: CallStatus::Completed,
                    result: &json!({"content": []}),
                    is_error: false,
                    model_content: "[Output…]",
                    exchange: Some(&json!([{"id": 1}])),
                    latency_us: Some(1200),
                },
            )
            .await
            .expect("finished");
        let outcome = read.outcome.expect("an outcome");
        assert_eq!((outcome.latency_us, outcome.model_content.as_str()), (Some(1200), "[Output…]"));
        assert!(matches!(
            store
                .finish_call(
                    calls[0].id,
                    CallEnd {
                        status: CallStatus::Failed,
                        result: &json!({}),
                        is_error: true,
                        model_content: "",
                        exchange: None,
                        latency_us: None
                    }
                )
                .await,
            Err(StoreError::Conflict(_))
        ));

        // A decision is recorded once.
        let decided =
            store.decide_call(calls[1].id, DecisionKind::Approved, owner.id, "page-1", None).await.expect("decided");
        assert_eq!(
            (decided.status, decided.decision, decided.decided_by),
            (CallStatus::Running, Some(DecisionKind::Approved), Some(owner.id))
        );
        let twice = store
            .decide_call(calls[1].id, DecisionKind::Denied, owner.id, "page-1", Some((json!({}), "no".into())))
            .await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");

        // Remembered for one tool, conversation and page session.
        assert_eq!(store.remembered_decision(c.id, connector, "add", "page-1").await.expect("read"), None);
        store.remember_decision(c.id, connector, "add", "page-1", Decision::Approve).await.expect("remembered");
        store.remember_decision(c.id, connector, "add", "page-1", Decision::Deny).await.expect("replaced");
        assert_eq!(
            store.remembered_decision(c.id, connector, "add", "page-1").await.expect("read"),
            Some(Decision::Deny)
        );
        assert_eq!(store.remembered_decision(c.id, connector, "add", "page-2").await.expect("read"), None);

        // A stop while the approved write runs (the turn still waiting, as it does until
        // its last call is decided and over): it is interrupted, never resent, and the
        // turn, with nothing left to wait for, is idle again.
        store.move_turn(c.id, TurnState::Running, TurnState::AwaitingApproval, 1).await.expect("waits");
        let touched = store.interrupt_unfinished(&json!({"error": "stopped"}), "stopped").await.expect("recovered");
        assert_eq!(touched, vec![c.id]);
        let after = store.tool_call(calls[1].id).await.expect("call");
        assert_eq!(after.status, CallStatus::Interrupted);
        assert_eq!(store.conversation(c.id).await.expect("conversation").state, TurnState::Idle);
        assert_eq!(store.tool_calls(c.id).await.expect("calls").len(), 2);
        assert_eq!(store.messages(c.id).await.expect("messages").len(), 2);

        let now = OffsetDateTime::now_utc();
        let found = store
            .conversations_between(now - time::Duration::hours(1), now + time::Duration::hours(1), Some(owner.id))
            .await
            .expect("export");
        assert_eq!(found.len(), 1);
        let other = store
            .conversations_between(
                now - time::Duration::hours(1),
                now + time::Duration::hours(1),
                Some(switchboard_core::UserId::new()),
            )
            .await
            .expect("export");
        assert!(other.is_empty());
        let later = store
            .conversations_between(now + time::Duration::hours(1), now + time::Duration::hours(2), None)
            .await
            .expect("export");
        assert!(later.is_empty());
        assert_eq!(store.list_conversations(owner.id).await.expect("list").len(), 1);

        let entry = store
            .append_audit(&AuditEvent {
                kind: "decision".into(),
                actor_id: Some(owner.id),
                conversation_id: Some(c.id),
                tool_call_id: Some(calls[1].id),
                connector_id: Some(connector),
                tool: Some("add".into()),
                classification: Some(Classification::Write),
                decision: Some(DecisionKind::Approved),
                status: None,
                latency_us: None,
                detail: json!({"arguments": {"title": "x"}}),
            })
            .await
            .expect("audited");
        let trail = store.audit_events(now - time::Duration::hours(1), 10).await.expect("trail");
        assert_eq!(trail, vec![entry]);

        store.delete_conversation(c.id).await.expect("deleted");
        assert!(matches!(store.conversation(c.id).await, Err(StoreError::NotFound("conversation"))));
        assert_eq!(
            store.audit_events(now - time::Duration::hours(1), 10).await.expect("trail").len(),
            1,
            "the trail stays"
        );
    }
}

on_both_backends!(a_turn_is_recorded_as_it_happens);
