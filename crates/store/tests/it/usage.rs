//! Usage: each answer keeps what its model step used, and `Store::usage` sums
//! answers and tool calls by day, user, app and model over a window.

use serde_json::json;
use switchboard_core::catalog::Classification;
use switchboard_core::conversation::{CallStatus, DecisionKind, Mode, TurnState};
use switchboard_core::usage::Dimension;
use switchboard_core::{ConnectorId, ConversationId, Role};
use switchboard_store::{
    Answer, CallEnd, InstanceId, NewConversation, NewToolCall, Note, StepRecord, StepUsage, Store, TurnStart,
    UsageFigures, UsageGroup,
};
use time::{Duration, OffsetDateTime};

use super::users::new_user;
use super::*;

fn read(connector: ConnectorId, name: &str) -> NewToolCall {
    NewToolCall {
        provider_call_id: format!("call-{name}"),
        name: format!("{name}__list"),
        connector_id: Some(connector),
        connector_name: Some(name.into()),
        tool: Some("list".into()),
        classification: Some(Classification::Read),
        arguments: "{}".into(),
        arguments_digest: Some("d".into()),
        definition_digest: Some("def".into()),
        status: CallStatus::Running,
        decision: Some(DecisionKind::AutoRead),
        decided_by: None,
        client_session: None,
        outcome: None,
    }
}

fn usage(model: &str, input: i64, output: i64, turn_step: i64) -> StepUsage {
    StepUsage {
        model: model.into(),
        input_tokens: input,
        output_tokens: output,
        latency_ms: 900 + input,
        first_token_ms: Some(120),
        turn_step,
    }
}

async fn conversation(store: &Store, owner: switchboard_core::UserId) -> ConversationId {
    let new = NewConversation {
        owner_id: owner,
        title: "t".into(),
        model: "openai/gpt".into(),
        mode: Mode::Default,
        connectors: vec![],
    };
    store.create_conversation(new).await.expect("conversation").id
}

/// One step of a running turn: the answer, its calls and its usage.
async fn step(
    store: &Store,
    id: ConversationId,
    me: &InstanceId,
    calls: &[NewToolCall],
    used: &StepUsage,
    end: bool,
) -> switchboard_store::RecordedStep {
    let record = StepRecord {
        conversation: id,
        answer: Some(Answer { text: "answer", calls, usage: Some(used) }),
        note: end.then_some(Note::Error("the model stopped")),
        steps: u32::try_from(used.turn_step).expect("step"),
        to: if end { TurnState::Idle } else { TurnState::Running },
        instance: me,
    };
    store.record_step(record, |_| vec![]).await.expect("step")
}

fn figures(input: i64, output: i64, turns: i64, steps: i64, calls: i64, latency_us: i64) -> UsageFigures {
    UsageFigures {
        input_tokens: input,
        output_tokens: output,
        turns,
        model_steps: steps,
        tool_calls: calls,
        tool_latency_us: latency_us,
    }
}

fn find<'a>(groups: &'a [UsageGroup], key: &str) -> &'a UsageGroup {
    groups.iter().find(|g| g.key.as_deref() == Some(key)).unwrap_or_else(|| panic!("{key} in {groups:?}"))
}

mod usage_is_kept_and_summed {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let me = InstanceId::random();
        let ann = store.create_user(new_user("ann@example.com", Role::Member)).await.expect("user");
        let bob = store.create_user(new_user("bob@example.com", Role::Member)).await.expect("user");
        let (board, wiki) = (ConnectorId::new(), ConnectorId::new());

        // Ann: a turn of two steps; the first calls the board twice and the wiki once.
        let a = conversation(&store, ann.id).await;
        let start = TurnStart { conversation: a, text: "hi", client_session: "p", title: "hi", instance: &me };
        store.start_turn(start).await.expect("turn");
        let first = usage("openai/gpt", 100, 10, 1);
        let calls = [read(board, "Board"), read(board, "Board"), read(wiki, "Wiki")];
        let recorded = step(&store, a, &me, &calls, &first, false).await;
        let answer = recorded.answer.clone().expect("answer");
        assert_eq!(answer.usage.as_ref(), Some(&first), "the answer is written with its usage");
        for (call, latency) in recorded.calls.iter().zip([2000, 4000, 6000]) {
            let end = CallEnd {
                status: CallStatus::Completed,
                result: &json!({"content": []}),
                is_error: false,
                model_content: "ok",
                exchange: None,
                latency_us: Some(latency),
            };
            store.finish_call(call, end, |_| vec![]).await.expect("finished");
        }
        let second = usage("openai/gpt", 150, 20, 2);
        step(&store, a, &me, &[], &second, true).await;
        let stored = store.messages(a).await.expect("messages");
        let used: Vec<Option<&StepUsage>> = stored.iter().map(|m| m.usage.as_ref()).collect();
        assert_eq!(used, [None, Some(&first), Some(&second), None], "only answers carry usage: {stored:?}");
        assert_eq!(stored[1], answer, "what a write returns is what a read finds");

        // Bob: one step, another model.
        let b = conversation(&store, bob.id).await;
        let start = TurnStart { conversation: b, text: "yo", client_session: "p", title: "yo", instance: &me };
        store.start_turn(start).await.expect("turn");
        step(&store, b, &me, &[], &usage("anthropic/claude", 50, 5, 1), true).await;

        let now = OffsetDateTime::now_utc();
        let (start, end) = (now - Duration::hours(1), now + Duration::hours(1));
        let days = store.usage(start, end, Dimension::Day).await.expect("days");
        assert_eq!(days.len(), 1, "{days:?}");
        let today = (now.unix_timestamp() / 86_400).to_string();
        assert_eq!(find(&days, &today).figures, figures(300, 35, 2, 3, 3, 12_000));

        let users = store.usage(start, end, Dimension::User).await.expect("users");
        assert_eq!(find(&users, &ann.id.to_string()).figures, figures(250, 30, 1, 2, 3, 12_000));
        assert_eq!(find(&users, &bob.id.to_string()).figures, figures(50, 5, 1, 1, 0, 0));

        let models = store.usage(start, end, Dimension::Model).await.expect("models");
        assert_eq!(find(&models, "openai/gpt").figures, figures(250, 30, 1, 2, 3, 12_000));
        assert_eq!(find(&models, "anthropic/claude").figures, figures(50, 5, 1, 1, 0, 0));

        // An app counts the steps that called it (once each) and its own calls.
        let apps = store.usage(start, end, Dimension::App).await.expect("apps");
        assert_eq!(apps.len(), 2, "{apps:?}");
        let b_group = find(&apps, &board.to_string());
        assert_eq!((b_group.name.as_deref(), b_group.figures), (Some("Board"), figures(100, 10, 1, 1, 2, 6000)));
        let w_group = find(&apps, &wiki.to_string());
        assert_eq!((w_group.name.as_deref(), w_group.figures), (Some("Wiki"), figures(100, 10, 1, 1, 1, 6000)));

        // Outside the window there is nothing.
        let before = store.usage(start - Duration::days(2), start - Duration::days(1), Dimension::Day).await;
        assert_eq!(before.expect("days"), vec![]);
    }
}

on_both_backends!(usage_is_kept_and_summed);
