//! The `quire` command: serve, migrate, seed, user add, export, import,
//! loadtest, and the code generators `openapi` and `codegen protocol`.

use anyhow::Context;
use clap::{Parser, Subcommand};

use quire::config::{Config, DEFAULT_DATABASE_URL};
use quire::server::{self, Server};

#[derive(Parser)]
#[command(
    name = "quire",
    version,
    about = "Real-time collaborative content management"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct DbArgs {
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (migrates the database first).
    Serve {
        #[command(flatten)]
        config: Box<Config>,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Create demo users (alice, bob, carol) and documents.
    Seed {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, default_value = "quire-demo")]
        password: String,
    },
    /// Print a document's content (md, html, json or text).
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// Document id.
        id: String,
        #[arg(long, default_value = "md")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
    /// Create a document from a Markdown or HTML file.
    Import {
        #[command(flatten)]
        db: DbArgs,
        file: std::path::PathBuf,
        /// Title (default: the file name).
        #[arg(long)]
        title: Option<String>,
        /// `md` or `html` (default: from the file extension).
        #[arg(long)]
        format: Option<String>,
        /// Owner's username (default: the first user).
        #[arg(long)]
        owner: Option<String>,
    },
    /// Load generator: fan-out latency, idle connections, cold load.
    Loadtest(Box<quire_loadtest::LoadtestArgs>),
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Print the OpenAPI document (what `/openapi.json` serves) as JSON.
    Openapi,
    /// Print code generated for the web client.
    Codegen {
        #[command(subcommand)]
        command: CodegenCommand,
    },
}

#[derive(Subcommand)]
enum CodegenCommand {
    /// The protocol constants as TypeScript (`web/src/protocol.gen.ts`).
    Protocol,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user.
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Password (or set QUIRE_PASSWORD).
        #[arg(long, env = "QUIRE_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

/// Stack of every runtime thread (workers and the blocking pool).
const THREAD_STACK_BYTES: usize = 64 * 1024 * 1024;

fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // A second line of defence behind the input guard's nesting bound:
        // yrs deletes and garbage-collects nested types recursively, and a
        // stack overflow aborts the process (no unwinding to catch). The
        // stack is reserved address space; only the pages touched cost memory.
        .thread_stack_size(THREAD_STACK_BYTES)
        .build()
        .context("starting the tokio runtime")?
        .block_on(run(Cli::parse()))
}

/// glibc gives busy threads their own malloc arenas. A connection's buffers
/// are allocated on one worker thread and freed on another, so with one
/// arena per thread the freed handshake buffers of thousands of connections
/// end up scattered over several heaps: measured 6.1 KiB of RSS per idle
/// WebSocket with glibc's default and 4.0 KiB with two arenas (see
/// docs/BENCHMARKS.md). `MALLOC_ARENA_MAX` in the environment still wins.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called first thing in main, before any other thread
        // exists; mallopt only sets a tunable of glibc's allocator.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Openapi => println!("{}", quire::api::openapi().to_pretty_json()?),
        Command::Codegen {
            command: CodegenCommand::Protocol,
        } => print!("{}", quire_doc::protocol::constants::typescript()),
        Command::Serve { config } => {
            quire::telemetry::init_logging(config.log_format);
            let server = Server::bind(*config).await?;
            let addr = server.local_addr()?;
            tracing::info!(%addr, instance = %server.state.instance_id, backend = ?server.state.store.backend(), "quire listening on http://{addr}");
            server.run(server::shutdown_signal()).await?;
        }
        Command::Migrate { db } => {
            quire::telemetry::init_logging(quire::config::LogFormat::Text);
            server::open_store(&db.database_url).await?;
            println!("migrations applied");
        }
        Command::Seed { db, password } => {
            let store = server::open_store(&db.database_url).await?;
            for line in quire::cli::seed(&store, &password)
                .await
                .context("seeding")?
            {
                println!("{line}");
            }
        }
        Command::Export {
            db,
            id,
            format,
            output,
        } => {
            let store = server::open_store(&db.database_url).await?;
            let text = quire::cli::export(&store, &id, &format)
                .await
                .context("exporting")?;
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{text}"),
            }
        }
        Command::Import {
            db,
            file,
            title,
            format,
            owner,
        } => {
            let body = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let format = format.unwrap_or_else(|| {
                match file
                    .extension()
                    .and_then(|e| e.to_str())
                    .map(str::to_ascii_lowercase)
                    .as_deref()
                {
                    Some("html" | "htm") => "html".into(),
                    _ => "markdown".into(),
                }
            });
            let title = title.unwrap_or_else(|| {
                file.file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("Imported")
                    .to_string()
            });
            let store = server::open_store(&db.database_url).await?;
            let doc = quire::cli::import(&store, &title, &body, &format, owner.as_deref())
                .await
                .context("importing")?;
            println!("{}", doc.id);
        }
        Command::Loadtest(args) => {
            // Its own runtime (one thread by default), off this one.
            tokio::task::spawn_blocking(move || quire_loadtest::run_blocking(*args))
                .await
                .context("load generator panicked")??;
        }
        Command::User {
            command:
                UserCommand::Add {
                    db,
                    username,
                    email,
                    password,
                },
        } => {
            let store = server::open_store(&db.database_url).await?;
            let user = quire::cli::add_user(&store, &username, &email, &password)
                .await
                .context("adding user")?;
            println!("created user {} ({})", user.username, user.id);
        }
    }
    Ok(())
}
