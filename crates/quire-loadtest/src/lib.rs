//! `quire loadtest`: a y-websocket load generator, measuring fan-out
//! latency, memory per idle connection and cold-load time (figures and
//! commands in docs/BENCHMARKS.md).
//!
//! One tokio runtime (one thread by default, so the generator's own
//! scheduling does not flatter the latency), one task per simulated client. Readers never build a
//! document: they parse the frame header and the first block id of each
//! update. Writers own a tiny yrs document holding only their own paragraph,
//! so each edit is a real, valid Yjs update; the update's (client id, clock)
//! identifies the edit, and each peer's receipt is matched to the writer's
//! send time to measure fan-out latency (wire + server).
//!
//! Modes: fan-out latency (default), `--idle N` (server RSS per idle
//! connection), `--cold-load EDITS` (join time of a long-history document).

mod client;
mod coldload;
mod fanout;
mod http;
mod idle;
pub mod metric_names;
mod report;
mod setup;

use std::collections::BTreeSet;
use std::net::{SocketAddr, ToSocketAddrs};

use anyhow::{Context, bail};

use http::Http;
use setup::User;

#[derive(clap::Args, Debug, Clone)]
pub struct LoadtestArgs {
    /// Server base URL (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub url: String,
    /// Documents.
    #[arg(long, default_value_t = 1)]
    pub docs: usize,
    /// Clients per document (writers included).
    #[arg(long, default_value_t = 20)]
    pub clients: usize,
    /// Writers per document.
    #[arg(long, default_value_t = 1)]
    pub writers: usize,
    /// Edits per second per writer (the server allows 100 messages/s per connection by default).
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// Cursor moves (awareness updates) per second per client, all clients
    /// (0 = none): the realistic-presence scenario.
    #[arg(long, default_value_t = 0.0)]
    pub awareness_hz: f64,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Connect as this existing user (owner of the test documents) instead of registering users.
    #[arg(long, requires = "password")]
    pub user: Option<String>,
    #[arg(long, env = "QUIRE_LOADTEST_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Connections per registered user; match the server's MAX_CONNECTIONS_PER_USER.
    #[arg(long, default_value_t = 50)]
    pub conns_per_user: usize,
    /// Idle mode: open N idle connections (spread over --docs) and report server RSS per connection.
    #[arg(long)]
    pub idle: Option<usize>,
    /// Initial Markdown body of each test document, in bytes (0 = empty).
    #[arg(long, default_value_t = 0)]
    pub doc_bytes: usize,
    /// Cold-load mode: build a document from this many single-character edits, then time joins.
    #[arg(long)]
    pub cold_load: Option<usize>,
    /// Server process id, for RSS (/proc/PID/status) and CPU figures.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Generator threads (1 = current-thread runtime, the setting the published figures use).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Handshakes in flight at once while connecting. The default stays
    /// under the server's per-address cap on connections that have not sent
    /// a request yet (`MAX_PENDING_CONNECTIONS_PER_IP`, 64), past which the
    /// server drops new connections from that address.
    #[arg(long, default_value_t = 32)]
    pub connect_concurrency: usize,
    /// Load another y-websocket server instead of Quire (for side-by-side
    /// figures): its WebSocket path with `{doc}` for the document name,
    /// e.g. `/{doc}` (y-websocket server) or `/doc/ws/{doc}` (y-sweet). No
    /// accounts, documents or metrics are set up or read; documents are
    /// fresh names.
    #[arg(long)]
    pub peer_path: Option<String>,
    /// Also print the result as one JSON line (`RESULT {...}`).
    #[arg(long)]
    pub json: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs the load test on its own runtime; blocks the calling thread.
pub fn run_blocking(args: LoadtestArgs) -> anyhow::Result<()> {
    let rt = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    rt.block_on(run(args))
}

async fn run(args: LoadtestArgs) -> anyhow::Result<()> {
    let addr = loopback_addr(&args.url)?;
    let http = Http::new(addr);
    if args.peer_path.is_none() {
        let ready = http.request("GET", "/healthz", None, None).await?;
        if ready.status != 200 {
            bail!("{} is not healthy: {}", args.url, ready.status);
        }
    } else if args.cold_load.is_some() {
        bail!("--cold-load measures Quire only (it needs the REST API)");
    }
    if let Some(n) = args.idle {
        idle::run(&args, &http, n).await
    } else if let Some(n) = args.cold_load {
        coldload::run(&args, &http, n).await
    } else {
        fanout::run(&args, &http).await
    }
}

/// Only loopback targets: this tool generates real load.
fn loopback_addr(url: &str) -> anyhow::Result<SocketAddr> {
    let u = url::Url::parse(url).with_context(|| format!("bad --url {url:?}"))?;
    if u.scheme() != "http" {
        bail!("--url must be http://… (loopback)");
    }
    let host = u.host_str().context("--url without host")?;
    let port = u.port_or_known_default().unwrap_or(80);
    let addr = (host.trim_matches(['[', ']']), port)
        .to_socket_addrs()?
        .find(|a| a.ip().is_loopback())
        .with_context(|| {
            format!("{host} is not a loopback address; loadtest targets 127.0.0.1 only")
        })?;
    Ok(addr)
}

/// A short random run id (user names, document titles).
fn run_id() -> String {
    format!("{:06x}", rand::random::<u32>() & 0xff_ffff)
}

/// Users and documents for `conns_per_doc` connections on each of `docs`
/// documents. Connection `k` (counted over all documents) uses
/// `users[assign(k)]`; every user it needs is an editor of the document.
pub(crate) struct Fixture {
    pub users: Vec<User>,
    pub docs: Vec<String>,
    pub per_user: usize,
}

impl Fixture {
    pub fn user_for(&self, k: usize) -> &User {
        &self.users[(k / self.per_user).min(self.users.len() - 1)]
    }
}

pub(crate) async fn prepare(
    args: &LoadtestArgs,
    http: &Http,
    docs: usize,
    conns_per_doc: usize,
) -> anyhow::Result<Fixture> {
    let run = run_id();
    if args.peer_path.is_some() {
        // Another server: any name is a new document, nobody signs in.
        return Ok(Fixture {
            users: vec![User {
                username: String::new(),
                token: String::new(),
            }],
            docs: (0..docs).map(|d| format!("bench-{run}-{d}")).collect(),
            per_user: usize::MAX,
        });
    }
    let total = docs * conns_per_doc;
    let per_user = args.conns_per_user.max(1);
    let users = match (&args.user, &args.password) {
        (Some(u), Some(p)) => {
            if total > per_user {
                eprintln!(
                    "note: {total} connections as one user; the server must allow that many (MAX_CONNECTIONS_PER_USER)"
                );
            }
            vec![setup::login(http, u, p).await?]
        }
        _ => {
            let n = total.div_ceil(per_user).max(1);
            if n > 1 {
                eprintln!("registering {n} users ({per_user} connections each)…");
            }
            setup::register_users(http, &run, n).await?
        }
    };
    let per_user = if users.len() == 1 {
        usize::MAX
    } else {
        per_user
    };
    let owner = &users[0];
    let doc_ids = setup::create_docs(http, owner, docs, &run, args.doc_bytes).await?;
    let fixture = Fixture {
        users,
        docs: doc_ids,
        per_user,
    };
    let mut pairs = BTreeSet::new();
    for d in 0..docs {
        for c in 0..conns_per_doc {
            let k = d * conns_per_doc + c;
            pairs.insert((
                fixture.docs[d].clone(),
                fixture.user_for(k).username.clone(),
            ));
        }
    }
    setup::share(http, &fixture.users[0], pairs).await?;
    Ok(fixture)
}

/// VmRSS of a process in KiB.
pub(crate) fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// User + system CPU time of a process, in seconds.
pub(crate) fn cpu_secs(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Cumulative microseconds during which some runnable task waited for a
/// CPU (PSI, `/proc/pressure/cpu`): shows when other work on the machine
/// competed with the server and the generator during a measurement.
pub(crate) fn cpu_pressure_us() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/pressure/cpu").ok()?;
    let some = text.lines().find(|l| l.starts_with("some"))?;
    some.split_whitespace()
        .find_map(|f| f.strip_prefix("total="))?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        assert!(loopback_addr("http://127.0.0.1:8000").is_ok());
        assert!(loopback_addr("http://localhost:8000").is_ok());
        assert!(loopback_addr("http://192.0.2.1:8000").is_err());
        assert!(loopback_addr("https://127.0.0.1").is_err());
    }

    #[test]
    fn reads_own_proc_figures() {
        assert!(rss_kib("self").unwrap() > 0);
        assert!(cpu_secs("self").is_some());
    }
}
