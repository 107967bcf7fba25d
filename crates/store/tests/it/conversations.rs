use serde_json::json;
use switchboard_core::catalog::Classification;
use switchboard_core::conversation::{CallStatus, Decision, DecisionKind, MessageRole, Mode, TurnState};
use switchboard_core::{AuditKind, ConnectorId, ConversationId, Role, UserId};
use switchboard_store::{
    Answer, AuditEvent, CallEnd, DecisionRecord, History, InstanceId, Interruption, NewConversation,
    NewRememberedChoice, NewToolCall, RememberedChoice, StepRecord, StoreError, ToolCall, TurnMove, TurnStart,
};
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
        definition_digest: Some(format!("definition of {id}")),
        status,
        decision: (status == CallStatus::Running).then_some(DecisionKind::AutoRead),
        decided_by: None,
        client_session: None,
        outcome: None,
    }
}

fn start<'a>(conversation: ConversationId, text: &'a str, instance: &'a InstanceId) -> TurnStart<'a> {
    TurnStart { conversation, text, client_session: "page-1", title: text, instance }
}

fn decision<'a>(
    kind: DecisionKind,
    by: UserId,
    denied: Option<(serde_json::Value, String)>,
    instance: &'a InstanceId,
) -> DecisionRecord<'a> {
    DecisionRecord { kind, by, client_session: "page-1", denied, instance }
}

fn interruption() -> Interruption<'static> {
    static RESULT: std::sync::LazyLock<serde_json::Value> = std::sync::LazyLock::new(|| json!({"error": "stopped"}));
    Interruption { result: &RESULT, model_content: "stopped", note: "stopped" }
}

fn audit_of(call: &ToolCall) -> AuditEvent {
    AuditEvent {
        kind: AuditKind::ToolCall,
        actor_id: None,
        conversation_id: Some(call.conversation_id),
        tool_call_id: Some(call.id),
        connector_id: call.connector_id,
        tool: call.tool.clone(),
        classification: call.classification,
        decision: call.decision,
        status: Some(call.status.as_str().into()),
        latency_us: None,
        detail: json!({}),
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

        let me = InstanceId::random();
        let started = store.start_turn(start(c.id, "hello", &me)).await.expect("starts");
        let user = started.message.clone();
        assert_eq!(started.history, History { messages: vec![user.clone()], calls: vec![] });
        assert_eq!((user.seq, user.role, user.client_session.as_deref()), (1, MessageRole::User, Some("page-1")));
        let again = store.start_turn(start(c.id, "hello again", &me)).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "two turns never run at once: {again:?}");
        let running = store.conversation(c.id).await.expect("conversation");
        assert_eq!((running.state, running.title.as_str()), (TurnState::Running, "hello"));

        let planned = [
            call("list", Classification::Read, CallStatus::Running),
            call("add", Classification::Write, CallStatus::AwaitingApproval),
            NewToolCall {
                status: CallStatus::Invalid,
                decision: None,
                outcome: Some((json!({"error": "no such tool"}), "Error: no such tool".into())),
                ..call("drop", Classification::Write, CallStatus::Invalid)
            },
        ];
        let step = StepRecord {
            conversation: c.id,
            answer: Some(Answer { text: "Let me look", calls: &planned, usage: None }),
            note: None,
            steps: 1,
            to: TurnState::Running,
            instance: &me,
        };
        let recorded = store
            .record_step(step, |call| if call.status.is_final() { vec![audit_of(call)] } else { vec![] })
            .await
            .expect("step");
        let message = recorded.answer.clone().expect("the answer");
        assert_eq!((message.seq, message.role), (2, MessageRole::Assistant));
        let calls = recorded.calls.clone();
        assert_eq!(
            calls.iter().map(|c| c.status).collect::<Vec<_>>(),
            [CallStatus::Running, CallStatus::AwaitingApproval, CallStatus::Invalid]
        );
        // What a write returns is what a read finds.
        assert_eq!(store.tool_calls(c.id).await.expect("calls"), calls);
        assert_eq!(store.messages(c.id).await.expect("messages"), vec![user.clone(), message.clone()]);
        let after_step = store.conversation(c.id).await.expect("conversation");
        assert_eq!((after_step.state, after_step.steps), (TurnState::Running, 1));
        let trail = store.audit_events(OffsetDateTime::now_utc() - time::Duration::hours(1), 10).await.expect("trail");
        assert_eq!(
            trail.iter().map(|e| e.event.tool_call_id).collect::<Vec<_>>(),
            [Some(calls[2].id)],
            "calls over before they start are audited with the step"
        );

        let read = store
            .finish_call(
                &calls[0],
                CallEnd {
                    status: CallStatus::Completed,
                    result: &json!({"content": []}),
                    is_error: false,
                    model_content: "[Output…]",
                    exchange: Some(&json!([{"id": 1}])),
                    latency_us: Some(1200),
                },
                |finished| vec![audit_of(finished)],
            )
            .await
            .expect("finished");
        assert_eq!(store.tool_call(calls[0].id).await.expect("call"), read);
        let outcome = read.outcome.clone().expect("an outcome");
        assert_eq!((outcome.latency_us, outcome.model_content.as_str()), (Some(1200), "[Output…]"));
        let ended_twice = store
            .finish_call(
                &calls[0],
                CallEnd {
                    status: CallStatus::Failed,
                    result: &json!({}),
                    is_error: true,
                    model_content: "",
                    exchange: None,
                    latency_us: None,
                },
                |finished| vec![audit_of(finished)],
            )
            .await;
        assert!(matches!(ended_twice, Err(StoreError::Conflict(_))), "{ended_twice:?}");
        let trail = store.audit_events(OffsetDateTime::now_utc() - time::Duration::hours(1), 10).await.expect("trail");
        assert_eq!(trail.len(), 2, "an end that is refused leaves no entry: {trail:?}");

        // A decision is recorded once.
        store
            .move_turn(
                c.id,
                TurnMove {
                    from: TurnState::Running,
                    to: TurnState::AwaitingApproval,
                    steps: 1,
                    instance: &me,
                    note: None,
                },
            )
            .await
            .expect("waits");
        let decided = store
            .decide_call(&calls[1], decision(DecisionKind::Approved, owner.id, None, &me), |d| vec![audit_of(d)])
            .await
            .expect("decided");
        assert_eq!(
            (decided.status, decided.decision, decided.decided_by),
            (CallStatus::Running, Some(DecisionKind::Approved), Some(owner.id))
        );
        assert_eq!(store.tool_call(calls[1].id).await.expect("call"), decided);
        let twice = store
            .decide_call(
                &calls[1],
                decision(DecisionKind::Denied, owner.id, Some((json!({}), "no".into())), &me),
                |d| vec![audit_of(d)],
            )
            .await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");

        // Remembered for one tool, conversation and page session, with the definition it was made on.
        assert_eq!(store.remembered_decision(c.id, connector, "add", "page-1").await.expect("read"), None);
        let choice = |definition_digest, decision| NewRememberedChoice {
            conversation: c.id,
            connector,
            tool: "add",
            client_session: "page-1",
            definition_digest,
            decision,
        };
        store.remember_decision(choice("v1", Decision::Approve)).await.expect("remembered");
        store.remember_decision(choice("v2", Decision::Deny)).await.expect("replaced");
        assert_eq!(
            store.remembered_decision(c.id, connector, "add", "page-1").await.expect("read"),
            Some(RememberedChoice { decision: Decision::Deny, definition_digest: "v2".into() })
        );
        assert_eq!(store.remembered_decision(c.id, connector, "add", "page-2").await.expect("read"), None);

        // A stop while the approved write runs (the turn still waiting, as it does until
        // its last call is decided and over): it is interrupted, never resent, and the
        // turn, with nothing left to wait for, is idle again.
        let touched = store.interrupt_unfinished(&me, interruption()).await.expect("recovered");
        assert_eq!(touched, vec![c.id]);
        let after = store.tool_call(calls[1].id).await.expect("call");
        assert_eq!(after.status, CallStatus::Interrupted);
        assert_eq!(store.conversation(c.id).await.expect("conversation").state, TurnState::Idle);
        assert_eq!(store.tool_calls(c.id).await.expect("calls").len(), 3);
        let messages = store.messages(c.id).await.expect("messages");
        assert_eq!(
            messages.iter().map(|m| (m.role, m.content.as_str())).collect::<Vec<_>>(),
            [(MessageRole::User, "hello"), (MessageRole::Assistant, "Let me look"), (MessageRole::Error, "stopped")]
        );

        // The next turn starts with the conversation as its own transaction left it:
        // every message, the new one last, and every call with its outcome.
        let next = store.start_turn(start(c.id, "and now?", &me)).await.expect("starts");
        assert_eq!(next.history, store.history(c.id).await.expect("history"));
        assert_eq!(next.history.messages.len(), 4);
        assert_eq!(next.history.messages.last(), Some(&next.message));
        assert_eq!(
            next.history.calls.iter().map(|c| c.status).collect::<Vec<_>>(),
            [CallStatus::Completed, CallStatus::Interrupted, CallStatus::Invalid]
        );
        assert_eq!(next.history.calls[0].outcome, read.outcome);

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
        assert_eq!(store.list_conversations(owner.id, None).await.expect("list").len(), 1);

        let entry = store
            .append_audit(&AuditEvent {
                kind: AuditKind::Decision,
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
        assert_eq!(trail.last(), Some(&entry));
        let kept = trail.len();

        store.delete_conversation(c.id).await.expect("deleted");
        assert!(matches!(store.conversation(c.id).await, Err(StoreError::NotFound("conversation"))));
        assert_eq!(
            store.audit_events(now - time::Duration::hours(1), 10).await.expect("trail").len(),
            kept,
            "the trail stays"
        );
    }
}

pub(crate) mod recovery_touches_only_its_own_instance {
    use super::*;

    /// A conversation whose turn `instance` started and whose first step asks for
    /// one call in `status`.
    pub(crate) async fn turn_with_a_call(
        store: &switchboard_store::Store,
        owner: UserId,
        instance: &InstanceId,
        status: CallStatus,
    ) -> (ConversationId, ToolCall) {
        let c = store
            .create_conversation(NewConversation {
                owner_id: owner,
                title: "New conversation".into(),
                model: "openai/gpt".into(),
                mode: Mode::Default,
                connectors: vec![],
            })
            .await
            .expect("created");
        store.start_turn(start(c.id, "go", instance)).await.expect("starts");
        let class = if status == CallStatus::Running { Classification::Read } else { Classification::Write };
        let planned = [call("x", class, status)];
        let to = if status == CallStatus::Running { TurnState::Running } else { TurnState::AwaitingApproval };
        let step = StepRecord {
            conversation: c.id,
            answer: Some(Answer { text: "", calls: &planned, usage: None }),
            note: None,
            steps: 1,
            to,
            instance,
        };
        let recorded = store.record_step(step, |_| vec![]).await.expect("step");
        (c.id, recorded.calls[0].clone())
    }

    async fn state(store: &switchboard_store::Store, id: ConversationId) -> TurnState {
        store.conversation(id).await.expect("conversation").state
    }

    async fn status(store: &switchboard_store::Store, call: &ToolCall) -> CallStatus {
        store.tool_call(call.id).await.expect("call").status
    }

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let owner = store.create_user(new_user("dev@example.com", Role::Member)).await.expect("user").id;
        let (a, b) = (InstanceId::parse("replica-a").expect("id"), InstanceId::parse("replica-b").expect("id"));

        // Each instance runs a turn with a read in flight.
        let (on_a, read_a) = turn_with_a_call(&store, owner, &a, CallStatus::Running).await;
        let (on_b, read_b) = turn_with_a_call(&store, owner, &b, CallStatus::Running).await;
        // A turn that A parked, whose approved write B is sending.
        let (parked, write) = turn_with_a_call(&store, owner, &a, CallStatus::AwaitingApproval).await;
        let sent_by_b = store
            .decide_call(&write, decision(DecisionKind::Approved, owner, None, &b), |_| vec![])
            .await
            .expect("approved");
        assert_eq!(sent_by_b.status, CallStatus::Running);

        // A restarts: only its own turn ends.
        let touched = store.interrupt_unfinished(&a, interruption()).await.expect("a recovers");
        assert_eq!(touched, vec![on_a]);
        assert_eq!(
            (state(&store, on_a).await, status(&store, &read_a).await),
            (TurnState::Idle, CallStatus::Interrupted)
        );
        assert_eq!(
            (state(&store, on_b).await, status(&store, &read_b).await),
            (TurnState::Running, CallStatus::Running)
        );
        assert_eq!(
            (state(&store, parked).await, status(&store, &write).await),
            (TurnState::AwaitingApproval, CallStatus::Running),
            "the write B sends is B's"
        );
        let notes = |id| {
            let store = store.clone();
            async move {
                let messages = store.messages(id).await.expect("messages");
                messages.iter().filter(|m| m.role == MessageRole::Error).count()
            }
        };
        assert_eq!((notes(on_a).await, notes(on_b).await, notes(parked).await), (1, 0, 0));

        // A second start of A finds nothing more of its own.
        assert_eq!(store.interrupt_unfinished(&a, interruption()).await.expect("again"), vec![]);

        // B restarts: its turn and the write it was sending.
        let mut touched = store.interrupt_unfinished(&b, interruption()).await.expect("b recovers");
        touched.sort_by_key(|id| id.to_string());
        let mut expected = vec![on_b, parked];
        expected.sort_by_key(|id| id.to_string());
        assert_eq!(touched, expected);
        assert_eq!(
            (state(&store, on_b).await, status(&store, &read_b).await),
            (TurnState::Idle, CallStatus::Interrupted)
        );
        assert_eq!(
            (state(&store, parked).await, status(&store, &write).await),
            (TurnState::Idle, CallStatus::Interrupted)
        );
        assert_eq!((notes(on_b).await, notes(parked).await), (1, 1));
    }
}

/// A turn whose driver stopped on a failed write is ended by the instance that ran it,
/// and by no other.
mod an_abandoned_turn_ends_on_its_own_instance {
    use super::recovery_touches_only_its_own_instance::turn_with_a_call;
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let owner = store.create_user(new_user("dev@example.com", Role::Member)).await.expect("user").id;
        let (a, b) = (InstanceId::parse("replica-a").expect("id"), InstanceId::parse("replica-b").expect("id"));
        let (id, read) = turn_with_a_call(&store, owner, &a, CallStatus::Running).await;

        assert!(!store.end_abandoned_turn(id, &b, interruption()).await.expect("b asks"), "not B's turn");
        assert_eq!(store.conversation(id).await.expect("conversation").state, TurnState::Running);

        assert!(store.end_abandoned_turn(id, &a, interruption()).await.expect("a ends it"));
        assert_eq!(store.conversation(id).await.expect("conversation").state, TurnState::Idle);
        assert_eq!(store.tool_call(read.id).await.expect("call").status, CallStatus::Interrupted);
        let messages = store.messages(id).await.expect("messages");
        let last = messages.last().expect("a note");
        assert_eq!((last.role, last.content.as_str()), (MessageRole::Error, interruption().note), "{messages:?}");
        assert_eq!(messages.iter().filter(|m| m.role == MessageRole::Error).count(), 1, "one note: {messages:?}");

        assert!(!store.end_abandoned_turn(id, &a, interruption()).await.expect("again"), "an idle turn stays");
    }
}

on_both_backends!(
    a_turn_is_recorded_as_it_happens,
    recovery_touches_only_its_own_instance,
    an_abandoned_turn_ends_on_its_own_instance
);
