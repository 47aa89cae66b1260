//! The `quire` binary itself (issue 2, acceptance 7): zero-configuration
//! start, PostgreSQL by `DATABASE_URL`, `migrate`, `user add`, `seed`.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_quire");

struct Running(Child);
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_healthy(base: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = reqwest::get(format!("{base}/healthz")).await
            && r.status().is_success()
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("quire exited early: {status}");
        }
        assert!(Instant::now() < deadline, "server did not become healthy");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A clean environment: nothing of Quire's configuration leaks in.
fn bare(cmd: &mut Command) -> &mut Command {
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
}

#[tokio::test]
async fn serve_with_no_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    bare(&mut cmd).current_dir(dir.path()).arg("serve");
    // The default address is 127.0.0.1:8000; if a developer's server holds
    // it, fall back to a flag (still no environment variables).
    let base = if std::net::TcpListener::bind("127.0.0.1:8000").is_ok() {
        "http://127.0.0.1:8000".to_string()
    } else {
        let port = free_port();
        cmd.args(["--bind-addr", &format!("127.0.0.1:{port}")]);
        format!("http://127.0.0.1:{port}")
    };
    let mut child = cmd.spawn().unwrap();
    wait_healthy(&base, &mut child).await;
    let guard = Running(child);
    assert!(
        dir.path().join("data/quire.db").exists(),
        "SQLite under ./data/"
    );
    let ready = reqwest::get(format!("{base}/readyz")).await.unwrap();
    assert!(ready.status().is_success());
    drop(guard);
}

#[tokio::test]
async fn database_url_switches_to_postgres() {
    let db = common::TestDatabase::create(common::Db::Postgres).await;
    let port = free_port();
    let mut cmd = Command::new(BIN);
    bare(&mut cmd)
        .env("DATABASE_URL", &db.url)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("JWT_SECRET", "a-secret-for-this-test-only-123456")
        .arg("serve");
    let mut child = cmd.spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_healthy(&base, &mut child).await;
    let _guard = Running(child);
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/auth/register"))
        .json(&serde_json::json!({ "username": "pguser", "email": "pg@example.com", "password": "password123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::CREATED);
    // The row is in PostgreSQL.
    use sqlx::{Connection, Row};
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE username = 'pguser'")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(n, 1);
    conn.close().await.unwrap();
}

#[test]
fn migrate_user_add_and_seed() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db?mode=rwc", dir.path().display());
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .env("DATABASE_URL", &url)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    assert!(run(&["migrate"]).contains("migrations applied"));
    assert!(
        run(&[
            "user",
            "add",
            "--username",
            "zed",
            "--email",
            "zed@example.com",
            "--password",
            "longpassword"
        ])
        .contains("zed")
    );
    let seeded = run(&["seed"]);
    assert!(
        seeded.contains("alice") && seeded.contains("bob") && seeded.contains("carol"),
        "{seeded}"
    );
    assert!(seeded.contains("password"), "prints the password: {seeded}");
    // Seeding twice keeps the users.
    run(&["seed"]);
    // A duplicate user add fails cleanly.
    let out = Command::new(BIN)
        .env("DATABASE_URL", &url)
        .args([
            "user",
            "add",
            "--username",
            "zed",
            "--email",
            "z2@example.com",
            "--password",
            "longpassword",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
