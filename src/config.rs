//! Server configuration: one typed struct, filled from environment variables
//! and matching command-line flags of `quire serve`.
//!
//! `Config::default()` gives the zero-configuration developer setup (SQLite
//! under `./data/`, in-process fan-out, generated JWT secret, 127.0.0.1:8000).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Output format of the structured logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Runtime environment: `dev` generates a JWT secret when none is given and
/// sends cookies without `Secure`; `production` requires `JWT_SECRET`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Environment {
    Dev,
    Production,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/quire.db?mode=rwc";
pub const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8000";

#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// `sqlite://…` (default, embedded) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,

    /// Optional PostgreSQL read replica for lists, search and version history.
    #[arg(long, env = "DATABASE_READ_URL")]
    pub database_read_url: Option<String>,

    /// Redis for cross-instance fan-out; unset = single instance.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// HMAC secret for session tokens. Required in production.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    #[arg(long = "env", env = "QUIRE_ENV", value_enum, default_value = "dev")]
    pub environment: Environment,

    #[arg(long, env = "BIND_ADDR", default_value = DEFAULT_BIND_ADDR)]
    pub bind_addr: SocketAddr,

    /// Name of this instance in logs, metrics and bus messages (random if unset).
    #[arg(long, env = "INSTANCE_ID")]
    pub instance_id: Option<String>,

    /// Serve the web UI from this directory instead of the embedded copy.
    #[arg(long, env = "QUIRE_WEB_DIR")]
    pub web_dir: Option<PathBuf>,

    #[arg(long, env = "LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Lifetime of a login session token, in seconds.
    #[arg(long, env = "SESSION_TTL_SECS", default_value_t = 7 * 24 * 3600)]
    pub session_ttl_secs: u64,

    /// Origins (`scheme://host[:port]`, comma-separated) whose pages may open
    /// a WebSocket with the session cookie, besides the server's own host.
    #[arg(long, env = "ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    #[command(flatten)]
    pub limits: Limits,

    #[command(flatten)]
    pub persistence: Persistence,

    #[command(flatten)]
    pub webhooks: Webhooks,

    /// Days a deleted document stays in its owner's trash before it is
    /// purged (0: at the next sweep, within seconds).
    #[arg(long, env = "TRASH_DAYS", default_value_t = 30)]
    pub trash_days: u64,

    /// Reverse proxies (IPs or CIDRs, comma-separated) whose
    /// `X-Forwarded-For` names the real client; from anyone else the header
    /// is ignored. Default: none.
    #[arg(long, env = "TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_net)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Bearer token required on `/metrics`. Without it (and without
    /// `METRICS_ADDR`) `/metrics` is open in dev mode and refused (403) in
    /// production.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Serve `/metrics` on this separate address (e.g. an internal
    /// interface) instead of the main port, where it then answers 404.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
}

/// An IP network (`10.0.0.0/8`) or a single address (`127.0.0.1`, `::1`).
pub fn parse_net(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{s:?} is not an IP address or CIDR network"))
}

/// Size, rate and quota limits. Every one is enforced server-side.
#[derive(Clone, Debug, clap::Args)]
pub struct Limits {
    /// Largest REST request body, bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest uploaded image (file bytes); over it the upload gets 413.
    #[arg(long, env = "MAX_MEDIA_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_media_bytes: usize,
    /// Largest WebSocket message, bytes.
    #[arg(long, env = "MAX_WS_MESSAGE_BYTES", default_value_t = 1024 * 1024)]
    pub max_ws_message_bytes: usize,
    /// Largest encoded document state, bytes.
    #[arg(long, env = "MAX_DOC_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_doc_bytes: usize,
    /// Sustained WebSocket messages per second per connection.
    #[arg(long, env = "WS_RATE_PER_SEC", default_value_t = 100)]
    pub ws_rate_per_sec: u32,
    /// Token-bucket burst per connection.
    #[arg(long, env = "WS_RATE_BURST", default_value_t = 500)]
    pub ws_rate_burst: u32,
    /// Frames queued for one WebSocket before it counts as too slow and is
    /// closed (1013; the client reconnects and resyncs).
    #[arg(long, env = "WS_OUTBOUND_QUEUE", default_value_t = 1024)]
    pub ws_outbound_queue: usize,
    /// Concurrent WebSocket connections per user.
    #[arg(long, env = "MAX_CONNECTIONS_PER_USER", default_value_t = 50)]
    pub max_connections_per_user: usize,
    #[arg(long, env = "MAX_TITLE_CHARS", default_value_t = 200)]
    pub max_title_chars: usize,
    #[arg(long, env = "MAX_TAGS", default_value_t = 20)]
    pub max_tags: usize,
    #[arg(long, env = "MAX_TAG_CHARS", default_value_t = 50)]
    pub max_tag_chars: usize,
    /// Failed logins allowed per username (and, ×4, per IP) in the window.
    #[arg(long, env = "LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: u32,
    #[arg(long, env = "LOGIN_WINDOW_SECS", default_value_t = 300)]
    pub login_window_secs: u64,
    /// Versions one document may hold (0 = unlimited). When full, a new
    /// version replaces the oldest automatic one; with none, 422
    /// `quota_exceeded`.
    #[arg(long, env = "MAX_VERSIONS_PER_DOCUMENT", default_value_t = 1000)]
    pub max_versions_per_document: usize,
    /// Documents one user may own (0 = unlimited); over it, creating one is
    /// 422 `quota_exceeded`.
    #[arg(long, env = "MAX_DOCUMENTS_PER_USER", default_value_t = 10_000)]
    pub max_documents_per_user: usize,
    /// Argon2 hashes/verifies run at once (about 19 MiB each); 0 = one per core.
    #[arg(long, env = "PASSWORD_HASH_CONCURRENCY", default_value_t = 0)]
    pub password_hash_concurrency: usize,
    /// Further hash requests that may wait (up to 2 s) for a slot; beyond
    /// that the request gets 503 with `Retry-After`.
    #[arg(long, env = "PASSWORD_HASH_QUEUE", default_value_t = 8)]
    pub password_hash_queue: usize,
    /// Seconds a connection may take to send a request's headers; the same
    /// bound closes a keep-alive connection idle between requests.
    #[arg(long, env = "HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,
    /// Connections one client address may hold open before sending its first
    /// complete request (trusted proxies are exempt); more are closed at once.
    #[arg(long, env = "MAX_PENDING_CONNECTIONS_PER_IP", default_value_t = 64)]
    pub max_pending_connections_per_ip: usize,
    /// Content conversions (imports, exports) run at once on the blocking
    /// pool; 0 = one per core.
    #[arg(long, env = "CONVERSION_CONCURRENCY", default_value_t = 0)]
    pub conversion_concurrency: usize,
    /// Time budget of one conversion, waiting for a slot included; over it
    /// the request gets 503.
    #[arg(long, env = "CONVERSION_TIMEOUT_MS", default_value_t = 10_000)]
    pub conversion_timeout_ms: u64,
}

/// Durability and compaction of the CRDT update log.
#[derive(Clone, Debug, clap::Args)]
pub struct Persistence {
    /// Group-commit window: updates arriving within it share one transaction.
    #[arg(long, env = "GROUP_COMMIT_MS", default_value_t = 5)]
    pub group_commit_ms: u64,
    /// Compact a document after this many logged updates.
    #[arg(long, env = "COMPACT_EVERY_UPDATES", default_value_t = 100)]
    pub compact_every_updates: u64,
    /// Compact a document after this long without edits.
    #[arg(long, env = "COMPACT_IDLE_SECS", default_value_t = 30)]
    pub compact_idle_secs: u64,
    /// Save an automatic version after this many idle minutes following edits (0 = off).
    #[arg(long, env = "AUTO_VERSION_IDLE_MINS", default_value_t = 0)]
    pub auto_version_idle_mins: u64,
    /// Accepted updates this instance may hold before they are durable
    /// (a database outage); beyond it new edits are refused (close 1013,
    /// REST 503) and clients keep them to resend later. The default holds
    /// a 10-minute outage of a busy instance (~330 updates/s).
    #[arg(long, env = "MAX_UNSAVED_UPDATES", default_value_t = 200_000)]
    pub max_unsaved_updates: u64,
    /// Blocks (CRDT items) one document may hold in memory. Bounds resident
    /// memory, which grows far faster than the encoded size for documents
    /// made of many tiny items.
    #[arg(long, env = "MAX_DOC_ITEMS", default_value_t = 1_000_000)]
    pub max_doc_items: u64,
    /// On SIGTERM, how long to wait for unsaved updates to become durable
    /// (e.g. during a database outage) before exiting anyway.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,
    /// Estimated memory the documents one user holds open may take, bytes
    /// (0 = unlimited). Opening one more beyond it is refused (close 4413).
    #[arg(long, env = "MAX_USER_RESIDENT_BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub max_user_resident_bytes: u64,
}

/// Webhook delivery.
#[derive(Clone, Debug, clap::Args)]
pub struct Webhooks {
    /// `document.updated` goes out once a document has had no body or
    /// metadata change for this long, seconds.
    #[arg(
        long = "webhook-updated-debounce-secs",
        env = "WEBHOOK_UPDATED_DEBOUNCE_SECS",
        default_value_t = 30
    )]
    pub updated_debounce_secs: u64,
    /// Delay before the first retry of a failed delivery, milliseconds; it
    /// doubles (with jitter) after each further failure, up to an hour.
    #[arg(
        long = "webhook-retry-base-ms",
        env = "WEBHOOK_RETRY_BASE_MS",
        default_value_t = 1000
    )]
    pub retry_base_ms: u64,
    /// Allow webhook targets on loopback and private networks (tests, or
    /// receivers inside the same network on purpose).
    /// `1`/`0`, `true`/`false`, `yes`/`no` and `on`/`off` are understood.
    #[arg(long = "webhook-allow-private", env = "WEBHOOK_ALLOW_PRIVATE", action = clap::ArgAction::SetTrue,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_private: bool,
}

impl Default for Webhooks {
    fn default() -> Self {
        declared_defaults()
    }
}

impl Default for Config {
    /// The zero-configuration setup: every option at its declared default,
    /// whatever the process environment holds.
    fn default() -> Self {
        declared_defaults()
    }
}

impl Default for Limits {
    fn default() -> Self {
        declared_defaults()
    }
}

impl Default for Persistence {
    fn default() -> Self {
        declared_defaults()
    }
}

/// Builds `T` from the defaults written in its `#[arg(default_value…)]`
/// attributes, with environment variables ignored. Those attributes are the
/// one place a default is written: `--help`, parsing and `Default` all read
/// them.
fn declared_defaults<T: clap::Args + clap::FromArgMatches>() -> T {
    let command = T::augment_args(clap::Command::new("defaults"))
        .no_binary_name(true)
        .mut_args(|arg| arg.env(None::<&'static str>));
    let parsed = command
        .try_get_matches_from(std::iter::empty::<String>())
        .and_then(|matches| T::from_arg_matches(&matches));
    match parsed {
        Ok(value) => value,
        // No option is required, so parsing nothing cannot fail; the unit
        // tests below would catch an option that became required.
        Err(e) => panic!("configuration defaults do not parse: {e}"),
    }
}

impl Config {
    /// True when cookies should carry `Secure` (production behind TLS).
    pub fn secure_cookies(&self) -> bool {
        self.environment == Environment::Production
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    #[test]
    fn defaults_are_the_declared_ones() {
        let d = Config::default();
        assert_eq!(d.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(d.bind_addr.to_string(), DEFAULT_BIND_ADDR);
        assert_eq!(d.environment, Environment::Dev);
        assert_eq!(d.log_format, LogFormat::Text);
        assert_eq!(d.session_ttl_secs, 7 * 24 * 3600);
        assert_eq!(d.limits.max_ws_message_bytes, 1024 * 1024);
        assert_eq!(d.limits.max_title_chars, 200);
        assert_eq!(d.persistence.compact_every_updates, 100);
        assert_eq!(d.persistence.max_user_resident_bytes, 1 << 30);
        assert!(d.jwt_secret.is_none() && d.redis_url.is_none());
        assert!(d.allowed_origins.is_empty() && d.trusted_proxies.is_empty());
        assert_eq!(Limits::default().max_tags, d.limits.max_tags);
        assert_eq!(
            Persistence::default().group_commit_ms,
            d.persistence.group_commit_ms
        );
    }

    #[test]
    fn flags_override_defaults() {
        let cli = Cli::parse_from(["quire", "--max-tags", "3", "--group-commit-ms", "9"]);
        assert_eq!(cli.config.limits.max_tags, 3);
        assert_eq!(cli.config.persistence.group_commit_ms, 9);
    }

    #[test]
    fn webhook_private_flag_is_off_by_default() {
        assert!(!Cli::parse_from(["quire"]).config.webhooks.allow_private);
        assert!(
            Cli::parse_from(["quire", "--webhook-allow-private"])
                .config
                .webhooks
                .allow_private
        );
        // `WEBHOOK_ALLOW_PRIVATE=1` is read by the binary in the webhook
        // end-to-end tests, which start it so.
    }

    /// One default as README writes it, in the form clap prints it; `None`
    /// for "no default" (`–`, `random`, …).
    fn readme_default(cell: &str) -> Option<String> {
        let cell = cell.trim().trim_matches('`');
        // "0 (off)", "– (none)": the parenthesis only explains.
        let cell = cell.split(" (").next().unwrap_or(cell).trim();
        if let Some(n) = cell.strip_suffix(" MiB") {
            return Some((n.parse::<u64>().ok()? << 20).to_string());
        }
        if let Some(n) = cell.strip_suffix(" GiB") {
            return Some((n.parse::<u64>().ok()? << 30).to_string());
        }
        match cell {
            "–" | "off" | "random" | "embedded" | "generated in dev mode" => None,
            // "one per core" is written 0 in the configuration.
            "cores" => Some("0".into()),
            other => Some(other.into()),
        }
    }

    #[test]
    fn readme_configuration_table_matches() {
        let readme = include_str!("../README.md");
        let section = readme
            .split("## Configuration")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .unwrap_or_default();
        let mut documented = std::collections::BTreeMap::new();
        for row in section.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = row.split(" | ").collect();
            let names: Vec<&str> = cells[0].split('`').skip(1).step_by(2).collect();
            let defaults: Vec<&str> = if names.len() == 1 {
                vec![cells[1]]
            } else {
                cells[1].split([',', '/']).collect()
            };
            assert_eq!(names.len(), defaults.len(), "README row {row:?}");
            for (name, default) in names.into_iter().zip(defaults) {
                documented.insert(name.to_string(), readme_default(default));
            }
        }
        let command = <Cli as clap::CommandFactory>::command();
        let declared: std::collections::BTreeMap<String, Option<String>> = command
            .get_arguments()
            .filter_map(|arg| {
                let env = arg.get_env()?.to_str()?.to_string();
                let default = arg
                    .get_default_values()
                    .first()
                    .and_then(|v| v.to_str())
                    .map(str::to_string);
                Some((env, default))
            })
            .collect();
        assert_eq!(documented, declared, "README's configuration table");
    }
}
