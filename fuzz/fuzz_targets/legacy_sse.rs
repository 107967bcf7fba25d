//! The legacy HTTP+SSE transport's event-stream parser (`crates/mcp/src/legacy_sse.rs`) and
//! the resolution of its `endpoint` event.
//!
//! Input: the stream's bytes, its first byte choosing where the stream is split in two.
//! Properties: no panic; the events do not depend on how the stream was split into
//! chunks; every event has a name; an endpoint the transport accepts has the origin of
//! the SSE URL (a server cannot send the client's messages to another host).
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_mcp::{legacy_endpoint_url, legacy_sse_events};
use url::Url;

/// Small, so the bound on an event's size is reached too.
const MAX_EVENT_BYTES: usize = 512;

fuzz_target!(|data: &[u8]| {
    let Some((&split, stream)) = data.split_first() else { return };
    let at = usize::from(split) % (stream.len() + 1);
    let whole = legacy_sse_events(&[stream], MAX_EVENT_BYTES).map_err(|e| e.to_string());
    let split = legacy_sse_events(&[&stream[..at], &stream[at..]], MAX_EVENT_BYTES).map_err(|e| e.to_string());
    assert_eq!(whole, split, "the chunks changed the events");
    let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
    let bytewise = legacy_sse_events(&bytewise, MAX_EVENT_BYTES).map_err(|e| e.to_string());
    assert_eq!(whole, bytewise, "one byte at a time changed the events");

    let sse = Url::parse("http://mcp.example:8080/sse?session=1").expect("a URL");
    for (name, data) in whole.iter().flatten() {
        assert!(!name.is_empty(), "an event without a name");
        if let Ok(endpoint) = legacy_endpoint_url(&sse, data) {
            assert_eq!(endpoint.origin(), sse.origin(), "endpoint {data:?} left the origin");
        }
    }
});
