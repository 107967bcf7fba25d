//! A server's JSON-RPC messages read from bytes, in one place: the Streamable HTTP
//! and legacy SSE transports read them here, and so do the fuzz targets.

use rmcp::model::ServerJsonRpcMessage;

/// One JSON-RPC message a server sends a client: a request, a notification, a
/// result or an error.
pub type ServerMessage = ServerJsonRpcMessage;

/// Parse one message; anything that is not one is an error, never a panic.
pub fn parse_server_message(bytes: &[u8]) -> Result<ServerMessage, serde_json::Error> {
    serde_json::from_slice(bytes)
}

#[cfg(test)]
mod tests {
    use rmcp::model::JsonRpcMessage;

    use super::*;

    #[test]
    fn messages_parse_by_their_shape() {
        let result = br#"{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}"#;
        assert!(matches!(parse_server_message(result), Ok(JsonRpcMessage::Response(_))));
        let error = br#"{"jsonrpc":"2.0","id":"a","error":{"code":-32601,"message":"no"}}"#;
        assert!(matches!(parse_server_message(error), Ok(JsonRpcMessage::Error(_))));
        let note = br#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#;
        assert!(matches!(parse_server_message(note), Ok(JsonRpcMessage::Notification(_))));
        for garbage in [&b""[..], b"{", b"[]", b"{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":{}}", b"\xff"] {
            assert!(parse_server_message(garbage).is_err(), "{garbage:?}");
        }
    }
}
