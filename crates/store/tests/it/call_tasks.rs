//! A call's task: recorded, its status kept, and, at a start, the call left running
//! (to be followed again) while its turn is neither ended nor noted.

use switchboard_core::conversation::{CallStatus, TurnState};
use switchboard_store::{CallTask, InstanceId, Interruption};
use time::OffsetDateTime;

use super::conversations::recovery_touches_only_its_own_instance::turn_with_a_call;
use super::users::new_user;
use super::*;

mod a_task_call_is_followed_after_a_restart {
    use super::*;

    pub(super) async fn run(db: TestDb) {
        let store = db.store().await;
        let owner =
            store.create_user(new_user("dev@example.com", switchboard_core::Role::Member)).await.expect("user").id;
        let me = InstanceId::parse("replica-a").expect("id");
        let (with_task, task_call) = turn_with_a_call(&store, owner, &me, CallStatus::Running).await;
        let (plain, plain_call) = turn_with_a_call(&store, owner, &me, CallStatus::Running).await;
        assert_eq!(store.call_task(task_call.id).await.expect("read"), None);

        let deadline = OffsetDateTime::from_unix_timestamp(4_000_000_000).expect("time");
        let task = CallTask {
            task_id: "t-1".into(),
            dialect: "2025-11-25".into(),
            session_id: Some("s-1".into()),
            protocol_version: "2025-11-25".into(),
            status: "working".into(),
            status_message: None,
            deadline_at: deadline,
        };
        store.record_call_task(task_call.id, &task).await.expect("recorded");
        store.update_call_task(task_call.id, "working", Some("Gathering sources...")).await.expect("updated");
        let kept = store.call_task(task_call.id).await.expect("read").expect("a task");
        assert_eq!(kept, CallTask { status_message: Some("Gathering sources...".into()), ..task.clone() });
        // Recorded again (followed anew): replaced, not duplicated.
        store.record_call_task(task_call.id, &task).await.expect("recorded again");
        assert_eq!(store.call_task(task_call.id).await.expect("read"), Some(task.clone()));

        let message = serde_json::json!({"error": "stopped"});
        let interruption = Interruption { result: &message, model_content: "stopped", note: "Stopped." };
        let touched = store.interrupt_unfinished(&me, interruption).await.expect("recovered");
        assert_eq!(touched, vec![plain], "only the turn without a task ends");
        assert_eq!(store.tool_call(plain_call.id).await.expect("call").status, CallStatus::Interrupted);
        assert_eq!(store.tool_call(task_call.id).await.expect("call").status, CallStatus::Running);
        assert_eq!(store.conversation(with_task).await.expect("c").state, TurnState::Running);

        let following = store.running_call_tasks(&me).await.expect("to follow");
        assert_eq!(following.len(), 1);
        assert_eq!((following[0].0.id, &following[0].1), (task_call.id, &task));
        let other = InstanceId::parse("replica-b").expect("id");
        assert!(store.running_call_tasks(&other).await.expect("none").is_empty(), "another instance's task");

        // The task row goes with its conversation.
        store.delete_conversation(with_task).await.expect("deleted");
        assert_eq!(store.call_task(task_call.id).await.expect("read"), None);
    }
}

on_both_backends!(a_task_call_is_followed_after_a_restart);
