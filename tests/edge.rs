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
