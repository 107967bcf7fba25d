//! JSON-RPC messages from an MCP server (`switchboard_mcp::parse_server_message`, what the
//! Streamable HTTP and legacy SSE transports read).
//!
//! Properties: no panic on any bytes; a message that parses writes out as JSON that parses
//! again to the same message (what is recorded of an exchange reads back as it was).
//!
//! JSON that names a key twice in one object is outside the second property: which of
//! the two values counts is up to the reader (RFC 8259 §4). The SDK's typed messages
//! refuse such an object and its generic ones keep the last value, so a notification can
//! read as generic first and, written out without the duplicate, as typed after. Those
//! inputs are still parsed, for the first property.
#![no_main]

use std::collections::HashSet;
use std::fmt;

use libfuzzer_sys::fuzz_target;
use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use switchboard_mcp::parse_server_message;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = parse_server_message(data) else { return };
    let written = serde_json::to_vec(&message).expect("a parsed message serializes");
    let again = parse_server_message(&written)
        .unwrap_or_else(|e| panic!("{} does not parse again: {e}", String::from_utf8_lossy(&written)));
    if serde_json::from_slice::<UniqueKeys>(data).is_err() {
        return;
    }
    let (first, second) =
        (serde_json::to_value(&message).expect("value"), serde_json::to_value(&again).expect("value"));
    assert_eq!(first, second, "the message changed on a round trip");
});

/// JSON in which no object names a key twice; anything else fails to deserialize.
struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON whose objects name each key once")
    }

    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key) {
                return Err(A::Error::custom("a key is named twice"));
            }
            map.next_value::<UniqueKeys>()?;
        }
        Ok(UniqueKeys)
    }
}
