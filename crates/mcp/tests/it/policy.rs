//! The address policy on every connection.

use switchboard_core::network::{AddressClass, NetworkPolicy};
use switchboard_mcp::McpError;
use switchboard_testkit::peers::PeerProcess;

use super::*;

#[tokio::test]
async fn metadata_and_private_addresses_are_refused_before_connecting() {
    let metadata = UpstreamSession::connect(&http("http://169.254.169.254/mcp"), &options()).await;
    match metadata {
        Err(McpError::Refused(r)) => assert_eq!(r.class, AddressClass::CloudMetadata),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let mapped = UpstreamSession::connect(&http("http://[::ffff:169.254.169.254]/mcp"), &options()).await;
    assert!(matches!(mapped, Err(McpError::Refused(_))), "{mapped:?}");

    // A workspace that refuses private addresses refuses a live local server, by IP and by name.
    let peer = PeerProcess::everything("streamableHttp");
    let strict =
        ClientOptions { network: NetworkPolicy { allow_private: false, ..NetworkPolicy::default() }, ..options() };
    let by_ip = UpstreamSession::connect(&http(&peer.url), &strict).await;
    assert!(matches!(by_ip, Err(McpError::Refused(_))), "{by_ip:?}");
    let by_name = UpstreamSession::connect(&http(&peer.url.replace("127.0.0.1", "localhost")), &strict).await;
    let err = by_name.expect_err("localhost resolves to loopback");
    assert!(err.to_string().contains("loopback"), "{err}");
    // The default policy allows it.
    connect(&http(&peer.url.replace("127.0.0.1", "localhost"))).await.close().await;
}

#[tokio::test]
async fn urls_that_are_not_http_are_refused() {
    let ftp = UpstreamSession::connect(&http("ftp://127.0.0.1/mcp"), &options()).await;
    assert!(matches!(ftp, Err(McpError::BadUrl(_))), "{ftp:?}");
}
