//! The HTTP edge under abuse: slow and idle connections are timed out,
//! one address cannot hoard connections, oversized bodies are refused before
//! they are read, security headers, metrics access, and heavy content
//! conversions stay off the async workers.

mod common;

use std::time::{Duration, Instant};

use reqwest::{Client, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::{Db, TestServer};

/// Reads until the server closes the socket; the time it took, or `None`
/// when it was still open after `limit`.
async fn closed_within(sock: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(limit.saturating_sub(start.elapsed()), sock.read(&mut buf)).await
        {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_and_idle_connections_are_closed_after_the_header_timeout() {
    let s = TestServer::start_with(Db::Sqlite, |c| c.limits.header_read_timeout_secs = 1).await;

    // Half a request line, then silence.
    let mut half = TcpStream::connect(s.addr).await.unwrap();
    half.write_all(b"GET /healthz HT").await.unwrap();
    // Nothing at all.
    let mut silent = TcpStream::connect(s.addr).await.unwrap();
    // Idle after one complete keep-alive request.
    let mut idle = TcpStream::connect(s.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));

    for (name, sock) in [
        ("half", &mut half),
        ("silent", &mut silent),
        ("idle", &mut idle),
    ] {
        let took = closed_within(sock, Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("{name} connection still open after 5 s"));
        assert!(
            took < Duration::from_secs(4),
            "{name} closed after {took:?}"
        );
    }
    // The server still serves.
    let st = Client::new()
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(st, StatusCode::OK);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_hoard_pending_connections() {
    let s = TestServer::start_with(Db::Sqlite, |c| {
        c.limits.header_read_timeout_secs = 30;
        c.limits.max_pending_connections_per_ip = 8;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(TcpStream::connect(s.addr).await.unwrap());
    }
    // Let the server accept those before the extra ones arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut extra = Vec::new();
    for _ in 0..6 {
        extra.push(TcpStream::connect(s.addr).await.unwrap());
    }
    for sock in &mut extra {
        assert!(
            closed_within(sock, Duration::from_secs(2)).await.is_some(),
            "a connection beyond the cap is closed at once"
        );
    }
    // Those under the cap are still open.
    for sock in &mut held {
        assert!(
            closed_within(sock, Duration::from_millis(200))
                .await
                .is_none()
        );
    }
    // Once they send a request they no longer count: new connections work.
    for sock in &mut held {
        sock.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 512];
        let n = sock.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    }
    let st = Client::new()
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(st, StatusCode::OK);
    s.stop().await;
}

/// A large import body: HTML nested close to the import's depth bound
/// (512 open elements; 100 levels of four elements each) plus many
/// paragraphs.
fn heavy_html() -> String {
    nested_html(100)
}

fn nested_html(levels: usize) -> String {
    let mut s = String::new();
    for _ in 0..levels {
        s.push_str("<blockquote><ul><li><p>x");
    }
    for _ in 0..levels {
        s.push_str("</p></li></ul></blockquote>");
    }
    for i in 0..15_000 {
        s.push_str(&format!(
            "<p>paragraph <i>{i}</i> <a href=\"/x\">link</a></p>"
        ));
    }
    s
}

async fn import(api: &common::Api, body: &str) -> (StatusCode, serde_json::Value, Duration) {
    let start = Instant::now();
    let (st, v) = api
        .post(
            "/api/documents",
            serde_json::json!({ "title": "import", "body": body, "body_format": "html" }),
        )
        .await;
    (st, v, start.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heavy_imports_leave_the_server_responsive() {
    heavy_imports_scenario().await;
}

/// HTML nested past the bound is refused before parsing, with a clear 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_nested_too_deep_is_refused() {
    let s = TestServer::start(Db::Sqlite).await;
    let api = s.user("importer").await;
    let (st, v, _) = import(&api, &nested_html(4000)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"], "validation");
    assert!(v["message"].as_str().unwrap().contains("nested"), "{v}");
    s.stop().await;
}

async fn heavy_imports_scenario() {
    let s = TestServer::start_with(Db::Sqlite, |c| {
        c.limits.conversion_concurrency = 2;
        c.limits.conversion_timeout_ms = 120_000;
    })
    .await;
    let api = s.user("importer").await;
    let body = heavy_html();
    let (st, v, took) = import(&api, &body).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    eprintln!("one heavy import: {took:?} for {} bytes", body.len());

    let mut tasks = Vec::new();
    for _ in 0..4 {
        let api = api.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move { import(&api, &body).await }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    let st = Client::new()
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap()
        .status();
    let health = start.elapsed();
    assert_eq!(st, StatusCode::OK);
    for t in tasks {
        let (st, v, _) = t.await.unwrap();
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    eprintln!("healthz during 4 imports: {health:?}");
    assert!(health < Duration::from_secs(2), "healthz took {health:?}");
    s.stop().await;
}

/// Over its time budget a conversion is refused with 503 at once; it may
/// finish in the background but keeps its slot, so new conversions (imports
/// and exports alike) wait their turn instead of piling up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversions_over_budget_are_refused_and_bounded() {
    let s = TestServer::start_with(Db::Sqlite, |c| {
        c.limits.conversion_concurrency = 1;
        c.limits.conversion_timeout_ms = 20;
    })
    .await;
    let api = s.user("importer").await;
    let body = heavy_html();

    // 1. Over budget: 503 quickly, a JSON error, Retry-After, nothing created.
    let start = Instant::now();
    let resp = Client::new()
        .post(s.url("/api/documents"))
        .bearer_auth(&api.token)
        .json(&serde_json::json!({ "title": "heavy", "body": body, "body_format": "html" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(resp.headers().get("retry-after").is_some());
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["error"], "unavailable");
    assert!(err["message"].as_str().unwrap().contains("ms"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );

    // 2. Its conversion still holds the only slot: a small import waits
    //    (and, with this tiny budget, is refused too).
    let small = serde_json::json!({ "title": "small", "body": "# Hello\n\nworld" });
    let (st, _) = api.post("/api/documents", small.clone()).await;
    assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE);

    // 3. Once the background work is done, small imports go through.
    let doc = poll_created(&api, &small).await;
    let (_, list) = api.get("/api/documents").await;
    assert_eq!(
        list["total"], 1,
        "the refused import created nothing: {list}"
    );

    // 4. Exports use the same bound.
    let _ = import(&api, &body).await;
    let path = format!(
        "/api/documents/{}/content?format=markdown",
        doc["id"].as_str().unwrap()
    );
    assert_eq!(api.get(&path).await.0, StatusCode::SERVICE_UNAVAILABLE);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (st, v) = api.get(&path).await;
        if st == StatusCode::OK {
            assert!(v["content"].as_str().unwrap().contains("Hello"), "{v}");
            break;
        }
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE);
        assert!(Instant::now() < deadline, "export never went through");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    s.stop().await;
}

async fn poll_created(api: &common::Api, body: &serde_json::Value) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (st, v) = api.post("/api/documents", body.clone()).await;
        if st == StatusCode::CREATED {
            return v;
        }
        assert_eq!(st, StatusCode::SERVICE_UNAVAILABLE, "{v}");
        assert!(Instant::now() < deadline, "import never went through");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A declared body over the limit is answered with 413 before any of it is
/// sent (the client here never sends it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_content_length_is_refused_before_the_body() {
    let s = TestServer::start(Db::Sqlite).await;
    let mut sock = TcpStream::connect(s.addr).await.unwrap();
    sock.write_all(
        b"POST /api/documents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 10485760\r\n\r\n{\"title\":",
    )
    .await
    .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(3), sock.read(&mut buf))
        .await
        .expect("answered without the body")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("payload_too_large"), "{text}");
    s.stop().await;
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_headers_on_ui_docs_and_api() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("assets")).unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><script type=\"module\" src=\"/assets/app.js\"></script>",
    )
    .unwrap();
    std::fs::write(dir.path().join("assets/app.js"), "console.log(1)").unwrap();
    let web_dir = dir.path().to_path_buf();
    let s = TestServer::start_with(Db::Sqlite, |c| c.web_dir = Some(web_dir)).await;
    let client = Client::new();

    for path in ["/", "/documents/abc", "/assets/app.js"] {
        let resp = client.get(s.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let csp = header(&resp, "content-security-policy");
        let script = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .unwrap_or_else(|| panic!("{path}: no script-src in {csp:?}"));
        assert_eq!(script, "script-src 'self'", "{path}");
        for needed in [
            "frame-ancestors 'none'",
            "connect-src 'self' ws: wss:",
            "img-src 'self' data: blob:",
        ] {
            assert!(csp.contains(needed), "{path}: {needed} missing from {csp}");
        }
        assert_eq!(header(&resp, "x-content-type-options"), "nosniff", "{path}");
        assert!(!header(&resp, "referrer-policy").is_empty(), "{path}");
    }

    let resp = client.get(s.url("/docs/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = header(&resp, "content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );

    let resp = client.get(s.url("/api/nope")).send().await.unwrap();
    assert!(header(&resp, "content-security-policy").contains("default-src 'none'"));
    assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_token_mode() {
    let s = TestServer::start_with(Db::Sqlite, |c| {
        c.metrics_token = Some("scrape-secret".into())
    })
    .await;
    let client = Client::new();
    let resp = client.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["error"],
        "unauthorized"
    );
    let resp = client
        .get(s.url("/metrics"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = client
        .get(s.url("/metrics"))
        .bearer_auth("scrape-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("http_requests_total"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_closed_in_production_without_token() {
    let s = TestServer::start_with(Db::Sqlite, |c| {
        c.environment = quire::config::Environment::Production;
    })
    .await;
    let resp = Client::new().get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("METRICS_TOKEN"),
        "{body}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_a_separate_address() {
    let db = common::TestDatabase::create(Db::Sqlite).await;
    let config = quire::config::Config {
        database_url: db.url.clone(),
        jwt_secret: Some("test-secret-test-secret-test-secret".into()),
        bind_addr: "127.0.0.1:0".parse().unwrap(),
        metrics_addr: Some("127.0.0.1:0".parse().unwrap()),
        ..Default::default()
    };
    let server = quire::server::Server::bind(config).await.unwrap();
    let main = server.local_addr().unwrap();
    let metrics = server.metrics_local_addr().expect("metrics listener");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    let client = Client::new();
    let resp = client
        .get(format!("http://{main}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = client
        .get(format!("http://{metrics}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("http_requests_total"));
    // Only /metrics lives there.
    let resp = client
        .get(format!("http://{metrics}/api/auth/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let _ = tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}
