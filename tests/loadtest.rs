//! `quire loadtest` against a test server: it must connect, measure fan-out
//! latency and report no errors (a quick smoke run, not a benchmark).

mod common;

use std::time::{Duration, Instant};

use common::{Db, TestServer};
use serde_json::Value;

async fn loadtest(args: &[&str]) -> (Value, String) {
    let out = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_quire"))
            .arg("loadtest")
            .args(args)
            .args(["--json", "--quiet"])
            .output(),
    )
    .await
    .expect("loadtest finishes")
    .expect("loadtest runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "loadtest failed:\n{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("no RESULT line in:\n{stdout}\n{stderr}"));
    (serde_json::from_str(line).expect("RESULT is JSON"), stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loadtest_reports_latencies_without_errors() {
    let started = Instant::now();
    let server = TestServer::start(Db::Sqlite).await;
    let (r, table) = loadtest(&[
        "--url",
        &server.base,
        "--docs",
        "2",
        "--clients",
        "3",
        "--writers",
        "2",
        "--rate",
        "20",
        "--warmup",
        "0.5",
        "--duration",
        "2.5",
    ])
    .await;
    assert!(table.contains("latency p99"), "{table}");
    assert_eq!(r["connections"], 6, "{r}");
    assert_eq!(r["errors"], 0, "{r}");
    let edits = r["edits_measured"].as_u64().unwrap();
    assert!(edits >= 2 * 2 * 20, "too few edits: {r}");
    // Every edit reaches the doc's 2 other clients.
    assert_eq!(r["receipts"], r["receipts_expected"], "{r}");
    assert_eq!(r["receipts_expected"].as_u64().unwrap(), edits * 2, "{r}");
    let lat = &r["latency"];
    assert_eq!(lat["count"], r["receipts"], "{r}");
    for q in ["p50_ms", "p95_ms", "p99_ms", "max_ms"] {
        let v = lat[q].as_f64().unwrap();
        assert!(v > 0.0 && v < 1000.0, "{q} = {v}: {r}");
    }
    assert!(lat["p50_ms"].as_f64() <= lat["p99_ms"].as_f64());
    // The server accepted (and persisted) the writers' updates.
    assert!(r["updates_in_per_s"].as_f64().unwrap() > 0.0, "{r}");
    assert!(r["persisted_per_s"].as_f64().unwrap() > 0.0, "{r}");
    assert!(r["awareness"].is_null(), "no cursors unless asked: {r}");

    // Realistic presence: every client also moves its cursor; each move
    // reaches the document's other clients, measured apart from edits.
    let (r, table) = loadtest(&[
        "--url",
        &server.base,
        "--docs",
        "1",
        "--clients",
        "4",
        "--writers",
        "1",
        "--rate",
        "10",
        "--awareness-hz",
        "5",
        "--warmup",
        "0.5",
        "--duration",
        "2",
    ])
    .await;
    assert!(table.contains("awareness p50 / p99 / max"), "{table}");
    assert_eq!(r["errors"], 0, "{r}");
    let a = &r["awareness"];
    let moves = a["updates_measured"].as_u64().unwrap();
    assert!(moves >= 4 * 5, "too few cursor moves: {r}");
    assert_eq!(a["receipts_expected"].as_u64().unwrap(), moves * 3, "{r}");
    assert_eq!(
        a["receipts"], a["receipts_expected"],
        "every move reaches every peer: {r}"
    );
    assert_eq!(a["latency"]["count"], a["receipts"], "{r}");
    assert!(a["latency"]["p99_ms"].as_f64().unwrap() > 0.0, "{r}");
    assert_eq!(r["receipts"], r["receipts_expected"], "{r}");

    // Idle mode, own process id as the "server" (it runs in this process).
    let pid = std::process::id().to_string();
    let (r, _) = loadtest(&[
        "--url",
        &server.base,
        "--idle",
        "12",
        "--docs",
        "2",
        "--conns-per-user",
        "5",
        "--server-pid",
        &pid,
        "--warmup",
        "0",
    ])
    .await;
    assert_eq!(r["open"], 12, "{r}");
    assert_eq!(r["errors"], 0, "{r}");
    assert!(r["server_kib_per_conn"].is_number(), "{r}");
    server.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
}
