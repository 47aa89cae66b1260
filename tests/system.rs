//! OpenAPI, docs UI, metrics and readiness (issue 2, acceptance 6).

mod common;

use reqwest::{Client, StatusCode};
use serde_json::Value;

use common::TestServer;

/// Every route, as `METHOD path`: accounts, tokens, users, documents with
/// their content, state, updates, presence, members, activity, versions,
/// diff and restore, search, the WebSocket and the operations endpoints.
const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/auth/register"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/logout"),
    ("get", "/api/auth/me"),
    ("get", "/api/users"),
    ("post", "/api/auth/tokens"),
    ("get", "/api/auth/tokens"),
    ("delete", "/api/auth/tokens/{id}"),
    ("post", "/api/documents"),
    ("get", "/api/documents"),
    ("get", "/api/documents/{id}"),
    ("patch", "/api/documents/{id}"),
    ("delete", "/api/documents/{id}"),
    ("get", "/api/documents/{id}/members"),
    ("put", "/api/documents/{id}/members/{user}"),
    ("delete", "/api/documents/{id}/members/{user}"),
    ("get", "/api/documents/{id}/activity"),
    ("get", "/api/documents/{id}/content"),
    ("get", "/api/documents/{id}/presence"),
    ("get", "/api/documents/{id}/state"),
    ("post", "/api/documents/{id}/updates"),
    ("get", "/api/documents/{id}/versions"),
    ("post", "/api/documents/{id}/versions"),
    ("get", "/api/documents/{id}/versions/{n}"),
    ("get", "/api/documents/{id}/versions/{a}/diff/{b}"),
    ("post", "/api/documents/{id}/restore/{n}"),
    ("get", "/api/search"),
    ("get", "/ws/doc/{id}"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
];

async fn openapi_docs_metrics(s: &TestServer) {
    let spec: Value = Client::new()
        .get(s.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with('3'));
    for (method, path) in ROUTES {
        assert!(
            spec["paths"][path][method].is_object(),
            "openapi.json lacks {method} {path}"
        );
    }

    // /docs is served from the binary; nothing it references leaves the machine.
    let resp = Client::new().get(s.url("/docs/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    assert!(html.to_lowercase().contains("swagger"), "{html}");
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let target = part.split('"').next().unwrap_or("");
            assert!(
                !target.starts_with("http") && !target.starts_with("//"),
                "external asset {target}"
            );
            if !target.is_empty() && !target.starts_with('#') && !target.starts_with("data:") {
                let url = if target.starts_with('/') {
                    s.url(target)
                } else {
                    s.url(&format!("/docs/{target}"))
                };
                let st = Client::new().get(&url).send().await.unwrap().status();
                assert_eq!(st, StatusCode::OK, "asset {url}");
            }
        }
    }
    let init = Client::new()
        .get(s.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(init.contains("/openapi.json"), "{init}");
    assert!(
        !init.contains("https://"),
        "initializer loads nothing external: {init}"
    );

    // /metrics exposes request counters.
    Client::new().get(s.url("/healthz")).send().await.unwrap();
    let metrics = Client::new()
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/healthz\""), "{metrics}");
    assert!(
        metrics.contains("http_request_duration_seconds"),
        "{metrics}"
    );

    // Unknown API path: JSON 404.
    let resp = Client::new().get(s.url("/api/nope")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(resp.json::<Value>().await.unwrap()["error"], "not_found");
}
on_both_backends!(openapi_and_metrics, super::openapi_docs_metrics);

async fn readyz_follows_database(s: &TestServer) {
    let resp = Client::new().get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Make the database unreachable: close the pool. Readiness follows the
    // background probe (every second) and never waits on the database.
    s.state.store.close().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let resp = loop {
        let started = std::time::Instant::now();
        let resp = Client::new().get(s.url("/readyz")).send().await.unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "/readyz answers at once"
        );
        if resp.status() != StatusCode::OK || std::time::Instant::now() > deadline {
            break resp;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    // Liveness is independent of the database.
    assert_eq!(
        Client::new()
            .get(s.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}
on_both_backends!(readyz, super::readyz_follows_database);

/// PostgreSQL really going away (database dropped under the server).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_when_postgres_database_is_dropped() {
    let s = TestServer::start(common::Db::Postgres).await;
    assert_eq!(
        Client::new()
            .get(s.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let name = s.db.url.rsplit('/').next().unwrap().to_string();
    {
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(&common::admin_pg_url())
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    // The background probe notices within a couple of seconds.
    let mut status = StatusCode::OK;
    for _ in 0..50 {
        status = Client::new()
            .get(s.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    s.stop().await;
}
