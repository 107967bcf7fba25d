//! `/healthz`, `/readyz`, `/metrics`.

use switchboard_testkit::{DbKind, TestApp};

use super::{assert_problem, send};

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::start(DbKind::Sqlite).await;
    let client = reqwest::Client::new();
    let (status, body) = send(client.get(app.at("/healthz"))).await;
    assert_eq!((status.as_u16(), body["status"].as_str()), (200, Some("ok")));
    let (status, body) = send(client.get(app.at("/readyz"))).await;
    assert_eq!((status.as_u16(), body["status"].as_str()), (200, Some("ready")));
    send(client.get(app.at("/api/v1/me"))).await;

    let response = client.get(app.at("/metrics")).send().await.expect("metrics");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.expect("text");
    assert!(
        text.contains("switchboard_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("switchboard_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"401\"} 1"),
        "{text}"
    );
    assert!(text.contains("# TYPE switchboard_http_request_duration_seconds histogram"));

    // Probes answer whatever Host a load balancer uses.
    let by_ip = client.get(app.at("/healthz")).header("host", "10.1.2.3:8080");
    assert_eq!(send(by_ip).await.0, 200);

    // With the database gone, readiness says so and liveness does not.
    app.store.close().await;
    assert_problem(&send(client.get(app.at("/readyz"))).await, 503, "unavailable");
    assert_eq!(send(client.get(app.at("/healthz"))).await.0, 200);
}
