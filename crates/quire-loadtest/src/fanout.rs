//! Fan-out latency: D documents × C clients, W of them writing R edits/s;
//! with `--awareness-hz F`, every client also moves its cursor F times a
//! second (an awareness update, as y-websocket clients send one per cursor
//! change), and awareness latency is measured apart from edit latency.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde::Serialize;
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

use super::client::{self, Frame, WriterDoc};
use super::http::{Http, Metrics};
use super::report::{self, Latency, Table};
use super::{LoadtestArgs, cpu_pressure_us, cpu_secs};
use crate::metric_names as names;

/// Send times kept per writer (by clock modulo this); far more than are in
/// flight at once.
const RING: usize = 4096;
/// After writers stop, readers keep reading this long for late frames.
const DRAIN: Duration = Duration::from_millis(1500);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Send times of one writer: `clock + 1` (0 = empty) and nanoseconds since
/// the run's origin, indexed by clock % RING.
struct SendLog {
    clocks: Box<[AtomicU64]>,
    nanos: Box<[AtomicU64]>,
}

impl SendLog {
    fn new() -> Self {
        let mk = || {
            (0..RING)
                .map(|_| AtomicU64::new(0))
                .collect::<Vec<_>>()
                .into_boxed_slice()
        };
        Self {
            clocks: mk(),
            nanos: mk(),
        }
    }
    fn record(&self, clock: u64, nanos: u64) {
        let i = clock as usize % RING;
        self.nanos[i].store(nanos, Relaxed);
        self.clocks[i].store(clock + 1, Release);
    }
    fn sent_at(&self, clock: u64) -> Option<u64> {
        let i = clock as usize % RING;
        (self.clocks[i].load(Acquire) == clock + 1).then(|| self.nanos[i].load(Relaxed))
    }
}

struct Shared {
    origin: Instant,
    /// Measurement window, in nanoseconds since `origin` (set at "go").
    window: Mutex<(u64, u64)>,
    client_base: u64,
    writers: Vec<SendLog>,
    hist: Mutex<Histogram<u64>>,
    synced: AtomicU64,
    failed: AtomicU64,
    edits: AtomicU64,
    edits_measured: AtomicU64,
    expected: AtomicU64,
    received: AtomicU64,
    frames: AtomicU64,
    errors: AtomicU64,
    error_samples: Mutex<Vec<String>>,
    /// Awareness client ids are `aware_base + k`, k the client's index
    /// over all documents; one send log per client (none when off).
    aware_base: u64,
    aware: Vec<SendLog>,
    aware_hist: Mutex<Histogram<u64>>,
    aware_sent: AtomicU64,
    aware_measured: AtomicU64,
    aware_expected: AtomicU64,
    aware_received: AtomicU64,
}

impl Shared {
    fn error(&self, what: String) {
        self.errors.fetch_add(1, Relaxed);
        let mut s = self.error_samples.lock();
        if s.len() < 10 {
            s.push(what);
        }
    }
    fn nanos(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.origin).as_nanos() as u64
    }
    fn in_window(&self, n: u64) -> bool {
        let (a, b) = *self.window.lock();
        n >= a && n < b
    }
}

#[derive(Clone, Copy)]
struct Plan {
    go: Instant,
    stop_writing: Instant,
    close: Instant,
}

#[derive(Serialize, Debug)]
pub struct FanoutReport {
    pub mode: &'static str,
    pub docs: usize,
    pub clients_per_doc: usize,
    pub writers_per_doc: usize,
    pub rate_per_writer: f64,
    pub duration_s: f64,
    pub connections: u64,
    pub edits_sent: u64,
    pub edits_measured: u64,
    pub receipts_expected: u64,
    pub receipts: u64,
    pub latency: Latency,
    pub updates_in_per_s: f64,
    pub persisted_per_s: f64,
    pub persist_batch_mean: f64,
    pub persist_ms_mean: f64,
    pub server_cpu_pct: Option<f64>,
    pub generator_cpu_pct: Option<f64>,
    /// Share of the window during which some task on the machine waited for a CPU.
    pub cpu_pressure_pct: Option<f64>,
    /// Set with `--awareness-hz`.
    pub awareness: Option<AwarenessReport>,
    pub errors: u64,
    pub error_samples: Vec<String>,
}

/// Cursor (awareness) traffic of a fan-out run.
#[derive(Serialize, Debug)]
pub struct AwarenessReport {
    pub hz_per_client: f64,
    pub updates_sent: u64,
    pub updates_measured: u64,
    pub receipts_expected: u64,
    pub receipts: u64,
    pub latency: Latency,
}

pub async fn run(args: &LoadtestArgs, http: &Http) -> anyhow::Result<()> {
    let (docs, clients) = (args.docs.max(1), args.clients.max(1));
    let writers = args.writers.min(clients);
    let fixture = super::prepare(args, http, docs, clients).await?;
    let total = docs * clients;
    let aware_hz = args.awareness_hz.max(0.0);
    let client_base = 100_000_000 + u64::from(rand::random::<u32>() % 1_000_000_000);
    let shared = Arc::new(Shared {
        origin: Instant::now(),
        window: Mutex::new((u64::MAX, u64::MAX)),
        client_base,
        writers: (0..docs * writers).map(|_| SendLog::new()).collect(),
        hist: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3)?),
        synced: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        edits: AtomicU64::new(0),
        edits_measured: AtomicU64::new(0),
        expected: AtomicU64::new(0),
        received: AtomicU64::new(0),
        frames: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        error_samples: Mutex::new(Vec::new()),
        aware_base: client_base + (docs * writers) as u64,
        aware: if aware_hz > 0.0 {
            (0..total).map(|_| SendLog::new()).collect()
        } else {
            Vec::new()
        },
        aware_hist: Mutex::new(Histogram::new_with_bounds(1, 60_000_000, 3)?),
        aware_sent: AtomicU64::new(0),
        aware_measured: AtomicU64::new(0),
        aware_expected: AtomicU64::new(0),
        aware_received: AtomicU64::new(0),
    });

    let bar = report::progress(
        args.quiet,
        total as u64,
        "connecting {bar:40} {pos}/{len} {msg}",
    );
    let (go_tx, go_rx) = watch::channel(None::<Plan>);
    let gate = Arc::new(Semaphore::new(args.connect_concurrency.max(1)));
    let mut tasks = Vec::with_capacity(total);
    for d in 0..docs {
        for c in 0..clients {
            let k = d * clients + c;
            let writer = (c < writers).then_some(d * writers + c);
            let task = ClientTask {
                shared: shared.clone(),
                addr: http.addr,
                path: client::doc_path(
                    args.peer_path.as_deref(),
                    &fixture.docs[d],
                    &fixture.user_for(k).token,
                ),
                writer,
                index: k,
                peers: (clients - 1) as u64,
                rate: args.rate,
                aware_hz,
                go: go_rx.clone(),
                gate: gate.clone(),
            };
            tasks.push(tokio::spawn(task.run()));
        }
    }
    // Wait for every client to be synced (or failed).
    let deadline = Instant::now() + CONNECT_TIMEOUT + Duration::from_secs(5);
    loop {
        let done = shared.synced.load(Relaxed) + shared.failed.load(Relaxed);
        bar.set_position(shared.synced.load(Relaxed));
        if done >= total as u64 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bar.finish_and_clear();

    let warmup = Duration::from_secs_f64(args.warmup.max(0.0));
    let duration = Duration::from_secs_f64(args.duration.max(0.1));
    let go = Instant::now() + Duration::from_millis(100);
    let plan = Plan {
        go,
        stop_writing: go + warmup + duration,
        close: go + warmup + duration + DRAIN,
    };
    let (m_start, m_end) = (go + warmup, go + warmup + duration);
    *shared.window.lock() = (shared.nanos(m_start), shared.nanos(m_end));
    let _ = go_tx.send(Some(plan));

    let bar = report::progress(
        args.quiet,
        (warmup + duration + DRAIN).as_millis() as u64 / 100,
        "{prefix:>8} {bar:40} {elapsed} {msg}",
    );
    let pid = args.server_pid.map(|p| p.to_string());
    type Sample = (Metrics, Option<f64>, Option<f64>, Option<f64>);
    let mut before: Option<Sample> = None;
    let mut after: Option<Sample> = None;
    loop {
        let now = Instant::now();
        if before.is_none() && now >= m_start {
            before = Some((
                server_metrics(args, http).await,
                pid.as_deref().and_then(cpu_secs),
                cpu_secs("self"),
                cpu_pressure_us(),
            ));
        }
        if after.is_none() && now >= m_end {
            after = Some((
                server_metrics(args, http).await,
                pid.as_deref().and_then(cpu_secs),
                cpu_secs("self"),
                cpu_pressure_us(),
            ));
        }
        if now >= plan.close {
            break;
        }
        bar.set_prefix(if now < m_start {
            "warmup"
        } else if now < m_end {
            "measure"
        } else {
            "drain"
        });
        bar.set_position(now.saturating_duration_since(go).as_millis() as u64 / 100);
        let p99 = shared.hist.lock().value_at_quantile(0.99) as f64 / 1000.0;
        bar.set_message(format!(
            "edits {} receipts {} p99 {p99:.2} ms errors {}",
            shared.edits.load(Relaxed),
            shared.received.load(Relaxed),
            shared.errors.load(Relaxed)
        ));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bar.finish_and_clear();
    for t in tasks {
        if tokio::time::timeout(Duration::from_secs(10), t)
            .await
            .is_err()
        {
            shared.error("client task did not finish".into());
        }
    }

    let secs = duration.as_secs_f64();
    let (b, a) = (before.unwrap_or_default(), after.unwrap_or_default());
    let delta = |name: &str| a.0.get(name) - b.0.get(name);
    let batches = delta(names::PERSIST_BATCHES);
    let persisted = delta(names::PERSISTED_UPDATES);
    let cpu = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => Some((y - x) / secs * 100.0),
        _ => None,
    };
    let result = FanoutReport {
        mode: "fanout",
        docs,
        clients_per_doc: clients,
        writers_per_doc: writers,
        rate_per_writer: args.rate,
        duration_s: secs,
        connections: shared.synced.load(Relaxed),
        edits_sent: shared.edits.load(Relaxed),
        edits_measured: shared.edits_measured.load(Relaxed),
        receipts_expected: shared.expected.load(Relaxed),
        receipts: shared.received.load(Relaxed),
        latency: Latency::from_us(&shared.hist.lock()),
        updates_in_per_s: delta(names::UPDATES_IN) / secs,
        persisted_per_s: persisted / secs,
        persist_batch_mean: if batches > 0.0 {
            persisted / batches
        } else {
            0.0
        },
        persist_ms_mean: if batches > 0.0 {
            delta(names::PERSIST_SECONDS_SUM) / batches * 1000.0
        } else {
            0.0
        },
        server_cpu_pct: cpu(b.1, a.1),
        generator_cpu_pct: cpu(b.2, a.2),
        cpu_pressure_pct: cpu(b.3.map(|u| u / 1e6), a.3.map(|u| u / 1e6)),
        errors: shared.errors.load(Relaxed)
            + shared
                .expected
                .load(Relaxed)
                .saturating_sub(shared.received.load(Relaxed)),
        error_samples: shared.error_samples.lock().clone(),
        awareness: (aware_hz > 0.0).then(|| AwarenessReport {
            hz_per_client: aware_hz,
            updates_sent: shared.aware_sent.load(Relaxed),
            updates_measured: shared.aware_measured.load(Relaxed),
            receipts_expected: shared.aware_expected.load(Relaxed),
            receipts: shared.aware_received.load(Relaxed),
            latency: Latency::from_us(&shared.aware_hist.lock()),
        }),
    };
    print_table(&result);
    if args.json {
        report::print_json(&result);
    }
    Ok(())
}

/// Quire's metrics (nothing for another server).
async fn server_metrics(args: &LoadtestArgs, http: &Http) -> Metrics {
    if args.peer_path.is_some() {
        return Metrics::default();
    }
    http.metrics().await.unwrap_or_default()
}

fn print_table(r: &FanoutReport) {
    let mut t = Table::new(format!(
        "fan-out: {} doc(s) × {} clients, {} writer(s)/doc at {}/s, {:.0} s measured",
        r.docs, r.clients_per_doc, r.writers_per_doc, r.rate_per_writer, r.duration_s
    ));
    let l = &r.latency;
    t.row("connections", r.connections.to_string())
        .row(
            "edits sent (measured)",
            format!("{} ({})", r.edits_sent, r.edits_measured),
        )
        .row(
            "receipts / expected",
            format!("{} / {}", r.receipts, r.receipts_expected),
        )
        .row("latency p50", format!("{:.3} ms", l.p50_ms))
        .row("latency p95", format!("{:.3} ms", l.p95_ms))
        .row("latency p99", format!("{:.3} ms", l.p99_ms))
        .row("latency max", format!("{:.3} ms", l.max_ms))
        .row("latency mean", format!("{:.3} ms", l.mean_ms))
        .row("server updates in", format!("{:.0} /s", r.updates_in_per_s))
        .row("persisted updates", format!("{:.0} /s", r.persisted_per_s))
        .row(
            "persist batch (mean)",
            format!(
                "{:.1} updates, {:.2} ms",
                r.persist_batch_mean, r.persist_ms_mean
            ),
        )
        .row(
            "server CPU",
            r.server_cpu_pct
                .map_or("n/a (no --server-pid)".into(), |c| format!("{c:.0} %")),
        )
        .row(
            "generator CPU",
            r.generator_cpu_pct
                .map_or("n/a".into(), |c| format!("{c:.0} %")),
        )
        .row(
            "machine CPU pressure",
            r.cpu_pressure_pct.map_or("n/a".into(), |c| {
                format!("{c:.0} % of the time something waited for a CPU")
            }),
        )
        .row("errors", r.errors.to_string());
    if let Some(a) = &r.awareness {
        let l = &a.latency;
        t.row(
            "awareness sent (measured)",
            format!(
                "{} ({}) at {}/s per client",
                a.updates_sent, a.updates_measured, a.hz_per_client
            ),
        )
        .row(
            "awareness receipts / expected",
            format!("{} / {}", a.receipts, a.receipts_expected),
        )
        .row(
            "awareness p50 / p99 / max",
            format!("{:.3} / {:.3} / {:.3} ms", l.p50_ms, l.p99_ms, l.max_ms),
        );
    }
    t.print();
    for e in &r.error_samples {
        println!("  error: {e}");
    }
}

struct ClientTask {
    shared: Arc<Shared>,
    addr: std::net::SocketAddr,
    /// The document's WebSocket path (token included).
    path: String,
    /// Global writer index, when this client writes.
    writer: Option<usize>,
    /// This client's index over all documents.
    index: usize,
    peers: u64,
    rate: f64,
    /// Cursor moves per second (0: none).
    aware_hz: f64,
    go: watch::Receiver<Option<Plan>>,
    gate: Arc<Semaphore>,
}

impl ClientTask {
    async fn run(mut self) {
        let shared = self.shared.clone();
        let ws = {
            let _permit = self.gate.acquire().await;
            let attempt = async {
                let mut ws = client::connect(self.addr, &self.path).await?;
                client::sync(&mut ws, CONNECT_TIMEOUT).await?;
                anyhow::Ok(ws)
            };
            match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
                Ok(Ok(ws)) => ws,
                Ok(Err(e)) => {
                    shared.failed.fetch_add(1, Relaxed);
                    shared.error(format!("connect: {e:#}"));
                    return;
                }
                Err(_) => {
                    shared.failed.fetch_add(1, Relaxed);
                    shared.error("connect: timed out".into());
                    return;
                }
            }
        };
        shared.synced.fetch_add(1, Relaxed);
        let plan = match self.go.wait_for(|p| p.is_some()).await {
            Ok(p) => match *p {
                Some(plan) => plan,
                None => return,
            },
            Err(_) => return,
        };
        if let Err(e) = self.main_loop(ws, plan).await {
            shared.error(e);
        }
    }

    async fn main_loop(&self, mut ws: client::Ws, plan: Plan) -> Result<(), String> {
        let shared = &*self.shared;
        let mut writer = self.writer.map(|w| {
            let client_id = shared.client_base + w as u64;
            let period = Duration::from_secs_f64(1.0 / self.rate.max(0.001));
            // Spread writers over the period so they do not fire together.
            let phase = period.mul_f64(rand::random::<f64>());
            let mut tick = tokio::time::interval_at(plan.go + phase, period);
            tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
            (w, WriterDoc::new(client_id), tick, 0u64)
        });
        let mut cursor = (self.aware_hz > 0.0).then(|| {
            let period = Duration::from_secs_f64(1.0 / self.aware_hz);
            let phase = period.mul_f64(rand::random::<f64>());
            let mut tick = tokio::time::interval_at(plan.go + phase, period);
            tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
            (tick, 0u64)
        });
        let aware_id = shared.aware_base + self.index as u64;
        let name = format!("load-{}", self.index);
        let close = tokio::time::sleep_until(plan.close);
        tokio::pin!(close);
        loop {
            let before_stop = Instant::now() < plan.stop_writing;
            let writing = writer.is_some() && before_stop;
            let moving = cursor.is_some() && before_stop;
            tokio::select! {
                biased;
                msg = ws.next() => match msg {
                    Some(Ok(Message::Binary(b))) => self.on_frame(&b),
                    Some(Ok(Message::Close(f))) => {
                        return Err(format!("closed by server: {f:?}"));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(format!("socket error: {e}")),
                    None => return Err("socket closed".into()),
                },
                _ = async {
                    match writer.as_mut() {
                        Some(w) => { w.2.tick().await; }
                        None => std::future::pending::<()>().await,
                    }
                }, if writing => {
                    let Some((w, doc, _, n)) = writer.as_mut() else { continue };
                    let c = (b'a' + (*n % 26) as u8) as char;
                    *n += 1;
                    let (clock, update) = doc.type_char(c);
                    let frame = quire_doc::protocol::encode_update(&update);
                    let now = shared.nanos(Instant::now());
                    shared.writers[*w].record(clock, now);
                    shared.edits.fetch_add(1, Relaxed);
                    if shared.in_window(now) {
                        shared.edits_measured.fetch_add(1, Relaxed);
                        shared.expected.fetch_add(self.peers, Relaxed);
                    }
                    if let Err(e) = ws.send(Message::Binary(frame.into())).await {
                        return Err(format!("send: {e}"));
                    }
                }
                _ = async {
                    match cursor.as_mut() {
                        Some(c) => { c.0.tick().await; }
                        None => std::future::pending::<()>().await,
                    }
                }, if moving => {
                    let Some((_, clock)) = cursor.as_mut() else { continue };
                    *clock += 1;
                    let frame = client::awareness_frame(aware_id, *clock, &name);
                    let now = shared.nanos(Instant::now());
                    shared.aware[self.index].record(*clock, now);
                    shared.aware_sent.fetch_add(1, Relaxed);
                    if shared.in_window(now) {
                        shared.aware_measured.fetch_add(1, Relaxed);
                        shared.aware_expected.fetch_add(self.peers, Relaxed);
                    }
                    if let Err(e) = ws.send(Message::Binary(frame.into())).await {
                        return Err(format!("send: {e}"));
                    }
                }
                _ = &mut close => break,
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
        Ok(())
    }

    fn on_frame(&self, b: &[u8]) {
        let shared = &*self.shared;
        shared.frames.fetch_add(1, Relaxed);
        let (client, clock) = match client::parse(b) {
            Frame::Update {
                origin: Some(origin),
            } => origin,
            Frame::Awareness(payload) => return self.on_awareness(payload),
            _ => return,
        };
        let Some(w) = client.checked_sub(shared.client_base) else {
            return;
        };
        let w = w as usize;
        if w >= shared.writers.len() || Some(w) == self.writer {
            return; // not ours, or our own echo
        }
        let Some(sent) = shared.writers[w].sent_at(clock) else {
            return;
        };
        if !shared.in_window(sent) {
            return;
        }
        let now = shared.nanos(Instant::now());
        let us = (now.saturating_sub(sent) / 1000).max(1);
        let _ = shared.hist.lock().record(us.min(60_000_000));
        shared.received.fetch_add(1, Relaxed);
    }

    /// Matches each entry of a (possibly coalesced) awareness update to its
    /// send time; own echoes and other runs' ids are skipped.
    fn on_awareness(&self, payload: &[u8]) {
        let shared = &*self.shared;
        let now = shared.nanos(Instant::now());
        for (client, clock) in client::awareness_entries(payload) {
            let Some(k) = client.checked_sub(shared.aware_base) else {
                continue;
            };
            let k = k as usize;
            if k >= shared.aware.len() || k == self.index {
                continue;
            }
            let Some(sent) = shared.aware[k].sent_at(clock) else {
                continue;
            };
            if !shared.in_window(sent) {
                continue;
            }
            let us = (now.saturating_sub(sent) / 1000).max(1);
            let _ = shared.aware_hist.lock().record(us.min(60_000_000));
            shared.aware_received.fetch_add(1, Relaxed);
        }
    }
}
