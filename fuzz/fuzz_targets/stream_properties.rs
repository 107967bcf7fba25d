//! What every decoded model answer must satisfy, whatever the provider sent: shared by
//! the OpenAI and Anthropic targets.

use switchboard_agent::provider::decode_answer;
use switchboard_agent::{ModelEvent, ProviderError, ProviderKind};

fn shown(events: &[Result<ModelEvent, ProviderError>]) -> Vec<String> {
    events.iter().map(|e| format!("{e:?}")).collect()
}

/// `data`'s first two bytes choose two split points; the rest is the answer's body.
pub fn check(kind: ProviderKind, data: &[u8]) {
    let [a, b, body @ ..] = data else { return };
    let (i, j) = (usize::from(*a) % (body.len() + 1), usize::from(*b) % (body.len() + 1));
    let (i, j) = (i.min(j), i.max(j));
    let whole = decode_answer(kind, &[body]);
    let split = decode_answer(kind, &[&body[..i], &body[i..j], &body[j..]]);
    assert_eq!(shown(&whole), shown(&split), "splitting the body at {i} and {j} changed the answer");

    // The answer ends once: with `Finished` or an error, and nothing after it.
    let last = whole.len().saturating_sub(1);
    for (n, event) in whole.iter().enumerate() {
        match event {
            Err(_) | Ok(ModelEvent::Finished { .. }) => assert_eq!(n, last, "events after the end: {whole:?}"),
            Ok(ModelEvent::ToolCall(call)) => {
                assert!(!call.id.is_empty(), "a tool call without an id: {call:?}");
                assert!(!call.arguments.trim().is_empty(), "a tool call without arguments: {call:?}");
            }
            Ok(_) => {}
        }
    }
    assert!(
        matches!(whole.last(), Some(Err(_) | Ok(ModelEvent::Finished { .. }))),
        "an answer that neither finished nor failed: {whole:?}"
    );
}
