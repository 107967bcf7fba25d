//! The OpenAI Chat Completions stream decoder (`crates/agent/src/provider/openai.rs`, through
//! the SSE parser in `sse.rs`), as a streamed answer is decoded.
//!
//! Properties (`stream_properties.rs`): no panic; the answer does not depend on how the
//! body was split into chunks; it ends exactly once, with `Finished` or an error; every tool
//! call has an id and arguments.
#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_agent::ProviderKind;

#[path = "stream_properties.rs"]
mod stream_properties;

fuzz_target!(|data: &[u8]| stream_properties::check(ProviderKind::OpenAi, data));
