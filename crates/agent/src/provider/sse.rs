//! Server-sent events, parsed from a byte stream that may be split anywhere.
//!
//! Follows the event-stream grammar: lines end in `\n`, `\r\n` or `\r`; a blank
//! line ends an event; `data` lines of one event are joined with `\n`; lines that
//! start with `:` are comments; a single space after the field's colon is dropped.

/// One event of the stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, when there was one.
    pub(crate) event: Option<String>,
    pub(crate) data: String,
}

/// Collects bytes and hands out whole events.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    /// Bytes of a line not yet ended.
    line: Vec<u8>,
    /// The last byte read was a `\r`, so a `\n` right after it ends nothing.
    after_cr: bool,
    event: Option<String>,
    data: Option<String>,
}

impl SseParser {
    /// Feed the next bytes; returns the events they complete, in order.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut events = vec![];
        for &b in bytes {
            let after_cr = std::mem::replace(&mut self.after_cr, b == b'\r');
            match b {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => {
                    let line = std::mem::take(&mut self.line);
                    events.extend(self.line_ended(&line));
                }
                _ => self.line.push(b),
            }
        }
        events
    }

    /// The stream ended: an event whose blank line never came is still delivered.
    pub(crate) fn finish(&mut self) -> Option<SseEvent> {
        let line = std::mem::take(&mut self.line);
        if !line.is_empty()
            && let Some(event) = self.line_ended(&line)
        {
            return Some(event);
        }
        self.line_ended(b"")
    }

    fn line_ended(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            let event = self.event.take();
            return self.data.take().map(|data| SseEvent { event, data });
        }
        if line.starts_with(b":") {
            return None;
        }
        let line = String::from_utf8_lossy(line);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "event" => self.event = Some(value.to_owned()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(event: Option<&str>, data: &str) -> SseEvent {
        SseEvent { event: event.map(str::to_owned), data: data.to_owned() }
    }

    /// Parse `input` fed in pieces split at every possible pair of points, and
    /// check every split gives `expect`.
    fn check(input: &str, expect: &[SseEvent]) {
        let bytes = input.as_bytes();
        for i in 0..=bytes.len() {
            for j in i..=bytes.len() {
                let mut parser = SseParser::default();
                let mut got = parser.push(&bytes[..i]);
                got.extend(parser.push(&bytes[i..j]));
                got.extend(parser.push(&bytes[j..]));
                got.extend(parser.finish());
                assert_eq!(got, expect, "input {input:?} split at {i} and {j}");
            }
        }
    }

    #[test]
    fn events_parse_whatever_the_line_endings_and_splits() {
        let cases: &[(&str, &[SseEvent])] = &[
            ("data: {\"a\":1}\n\n", &[ev(None, "{\"a\":1}")]),
            ("data: one\r\n\r\ndata: two\r\n\r\n", &[ev(None, "one"), ev(None, "two")]),
            ("data: one\r\rdata: two\r\r", &[ev(None, "one"), ev(None, "two")]),
            ("event: ping\ndata: {}\n\n", &[ev(Some("ping"), "{}")]),
            ("data: a\ndata: b\n\n", &[ev(None, "a\nb")]),
            (": keep-alive\n\ndata: x\n\n", &[ev(None, "x")]),
            ("data:nospace\n\n", &[ev(None, "nospace")]),
            ("data:  two spaces\n\n", &[ev(None, " two spaces")]),
            ("id: 7\nretry: 10\ndata: x\n\n", &[ev(None, "x")]),
            ("event: lonely\n\n", &[]),
            ("data: [DONE]", &[ev(None, "[DONE]")]),
            ("data: é😀\n\n", &[ev(None, "é😀")]),
            ("data\n\n", &[ev(None, "")]),
            ("", &[]),
        ];
        for (input, expect) in cases {
            check(input, expect);
        }
    }
}
