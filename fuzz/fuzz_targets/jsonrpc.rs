//! JSON-RPC messages from an MCP server (`switchboard_mcp::parse_server_message`, what the
//! Streamable HTTP and legacy SSE transports read).
//!
//! Properties: no panic on any bytes; a message that parses writes out as JSON that parses
//! again to the same message (what is recorded of an exchange reads back as it was).
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_mcp::parse_server_message;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = parse_server_message(data) else { return };
    let written = serde_json::to_vec(&message).expect("a parsed message serializes");
    let again = parse_server_message(&written)
        .unwrap_or_else(|e| panic!("{} does not parse again: {e}", String::from_utf8_lossy(&written)));
    let (first, second) =
        (serde_json::to_value(&message).expect("value"), serde_json::to_value(&again).expect("value"));
    assert_eq!(first, second, "the message changed on a round trip");
});
