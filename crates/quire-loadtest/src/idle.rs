//! Idle connections: open N synced, silent connections and report the
//! server's RSS growth per connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use futures_util::StreamExt;
use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use super::client;
use super::http::Http;
use super::report::{self, Table};
use super::{LoadtestArgs, rss_kib};
use crate::metric_names as names;

#[derive(Serialize, Debug)]
pub struct IdleReport {
    pub mode: &'static str,
    pub requested: usize,
    pub docs: usize,
    pub open: u64,
    pub server_connections_gauge: f64,
    pub connect_secs: f64,
    pub server_rss_before_kib: Option<u64>,
    pub server_rss_after_kib: Option<u64>,
    pub server_kib_per_conn: Option<f64>,
    pub generator_kib_per_conn: Option<f64>,
    pub errors: u64,
    pub error_samples: Vec<String>,
}

pub async fn run(args: &LoadtestArgs, http: &Http, n: usize) -> anyhow::Result<()> {
    let docs = args.docs.max(1).min(n.max(1));
    let per_doc = n.div_ceil(docs);
    let fixture = super::prepare(args, http, docs, per_doc).await?;
    let pid = args.server_pid.map(|p| p.to_string());
    let open = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let samples = Arc::new(Mutex::new(Vec::<String>::new()));
    let (stop_tx, stop_rx) = watch::channel(false);
    let gate = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    let mut tasks = Vec::with_capacity(n);

    let spawn = |k: usize, tasks: &mut Vec<tokio::task::JoinHandle<()>>| {
        let d = k % docs;
        let (open, errors, samples) = (open.clone(), errors.clone(), samples.clone());
        let mut stop = stop_rx.clone();
        let gate = gate.clone();
        let addr = http.addr;
        // Same user assignment as prepare(): connection index within its doc.
        let token = &fixture.user_for(d * per_doc + k / docs).token;
        let path = client::doc_path(args.peer_path.as_deref(), &fixture.docs[d], token);
        tasks.push(tokio::spawn(async move {
            let ws = {
                let _p = gate.acquire().await;
                let attempt = async {
                    let mut ws = client::connect(addr, &path).await?;
                    client::sync(&mut ws, Duration::from_secs(30)).await?;
                    anyhow::Ok(ws)
                };
                tokio::time::timeout(Duration::from_secs(60), attempt).await
            };
            let mut ws = match ws {
                Ok(Ok(ws)) => ws,
                Ok(Err(e)) => return note(&errors, &samples, format!("connect: {e:#}")),
                Err(_) => return note(&errors, &samples, "connect: timed out".into()),
            };
            open.fetch_add(1, Relaxed);
            // Keep reading (answers the server's pings) until told to stop.
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    msg = ws.next() => match msg {
                        Some(Ok(_)) => {}
                        _ => {
                            note(&errors, &samples, "connection lost while idle".into());
                            open.fetch_sub(1, Relaxed);
                            return;
                        }
                    },
                }
            }
            let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
        }));
    };

    // One connection per document first, so the rooms are loaded before the baseline.
    for k in 0..docs {
        spawn(k, &mut tasks);
    }
    while open.load(Relaxed) + errors.load(Relaxed) < docs as u64 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = pid.as_deref().and_then(rss_kib);
    let self_before = rss_kib("self");
    let started = Instant::now();
    let bar = report::progress(
        args.quiet,
        n as u64,
        "idle {bar:40} {pos}/{len} {per_sec} {msg}",
    );
    for k in docs..n {
        spawn(k, &mut tasks);
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let done = open.load(Relaxed) + errors.load(Relaxed);
        bar.set_position(open.load(Relaxed));
        bar.set_message(format!("errors {}", errors.load(Relaxed)));
        if done >= n as u64 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let connect_secs = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    // Let the server settle (allocator, queues), then measure.
    tokio::time::sleep(Duration::from_secs_f64(args.warmup.max(2.0))).await;
    let rss_after = pid.as_deref().and_then(rss_kib);
    let self_after = rss_kib("self");
    let gauge = http
        .metrics()
        .await
        .map(|m| m.get(names::WS_CONNECTIONS))
        .unwrap_or(f64::NAN);
    let opened = open.load(Relaxed);
    let added = opened.saturating_sub(docs as u64).max(1) as f64;
    let result = IdleReport {
        mode: "idle",
        requested: n,
        docs,
        open: opened,
        server_connections_gauge: gauge,
        connect_secs,
        server_rss_before_kib: rss_before,
        server_rss_after_kib: rss_after,
        server_kib_per_conn: rss_before
            .zip(rss_after)
            .map(|(b, a)| (a as f64 - b as f64) / added),
        generator_kib_per_conn: self_before
            .zip(self_after)
            .map(|(b, a)| (a as f64 - b as f64) / added),
        errors: errors.load(Relaxed),
        error_samples: samples.lock().clone(),
    };
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }

    let mut t = Table::new(format!("idle connections: {n} over {docs} document(s)"));
    let kib = |v: Option<u64>| v.map_or("n/a (no --server-pid)".into(), |v| format!("{v} KiB"));
    t.row("open (generator)", result.open.to_string())
        .row(
            "open (server gauge)",
            format!("{}", result.server_connections_gauge),
        )
        .row("time to open", format!("{:.1} s", result.connect_secs))
        .row("server RSS before", kib(result.server_rss_before_kib))
        .row("server RSS after", kib(result.server_rss_after_kib))
        .row(
            "server RSS / connection",
            result
                .server_kib_per_conn
                .map_or("n/a".into(), |v| format!("{v:.2} KiB")),
        )
        .row(
            "generator RSS / connection",
            result
                .generator_kib_per_conn
                .map_or("n/a".into(), |v| format!("{v:.2} KiB")),
        )
        .row("errors", result.errors.to_string());
    t.print();
    for e in &result.error_samples {
        println!("  error: {e}");
    }
    if args.json {
        report::print_json(&result);
    }
    Ok(())
}

fn note(errors: &AtomicU64, samples: &Mutex<Vec<String>>, e: String) {
    errors.fetch_add(1, Relaxed);
    let mut s = samples.lock();
    if s.len() < 10 {
        s.push(e);
    }
}
