//! `DATABASE_READ_URL`, the optional read replica: lists, search and version history are read
//! from the replica, everything else from the primary.
//!
//! No streaming replication runs here, so the "replica" is a second
//! PostgreSQL database that is brought up to date on demand with
//! `pg_dump --data-only | psql`, i.e. a replica with a very visible lag.

mod common;

use common::{Db, TestDatabase, TestServer};
use reqwest::StatusCode;
use serde_json::json;
use std::process::Command;
use std::sync::Arc;

fn database_name(url: &str) -> String {
    url::Url::parse(url)
        .expect("url")
        .path()
        .trim_start_matches('/')
        .to_string()
}

/// Runs `psql` on `db` with `args` (`-c SQL` or `-f FILE`), failing loudly.
fn psql(db: &str, args: &[&std::ffi::OsStr]) {
    let out = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-d",
            db,
        ])
        .args(args)
        .output()
        .expect("psql (PostgreSQL client) is required for this test");
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Empties every table but the migration history.
const TRUNCATE_ALL: &str = "DO $$ DECLARE r record; BEGIN \
     FOR r IN SELECT tablename FROM pg_tables \
     WHERE schemaname = 'public' AND tablename <> '_sqlx_migrations' \
     LOOP EXECUTE 'TRUNCATE TABLE ' || quote_ident(r.tablename) || ' CASCADE'; END LOOP; END $$;";

/// Makes `replica` an exact data copy of `primary` (what replication would do).
fn catch_up(primary: &str, replica: &str) {
    psql(replica, &["-c".as_ref(), TRUNCATE_ALL.as_ref()]);
    let dump = Command::new("pg_dump")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "--data-only",
            "--disable-triggers",
        ])
        .args(["--exclude-table=_sqlx_migrations", primary])
        .output()
        .expect("pg_dump is required for this test");
    assert!(
        dump.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let sql = std::env::temp_dir().join(format!("quire-replica-{replica}.sql"));
    std::fs::write(&sql, &dump.stdout).expect("write dump");
    psql(replica, &["-f".as_ref(), sql.as_os_str()]);
    let _ = std::fs::remove_file(&sql);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_search_and_history_come_from_the_replica() {
    let replica = Arc::new(TestDatabase::create(Db::Postgres).await);
    // Migrate the replica's schema (a real replica gets it from the primary).
    quire::server::open_store(&replica.url)
        .await
        .expect("migrate replica");
    let replica_url = replica.url.clone();
    let s = TestServer::start_with(Db::Postgres, |c| c.database_read_url = Some(replica_url)).await;
    let (primary_db, replica_db) = (database_name(&s.db.url), database_name(&replica.url));

    let alice = s.user("alice").await;
    let doc = alice.create_doc("Quarterly zeppelin report").await;
    let id = doc["id"].as_str().unwrap();
    let (st, _) = alice
        .post(
            &format!("/api/documents/{id}/versions"),
            json!({ "label": "v1" }),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);

    // Writes and single-document reads use the primary...
    let (st, got) = alice.get(&format!("/api/documents/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(got["title"], "Quarterly zeppelin report");
    // ...lists, search and version history the replica, which lags.
    let (st, list) = alice.get("/api/documents").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list["total"], 0, "{list}");
    let (_, hits) = alice.get("/api/search?q=zeppelin").await;
    assert_eq!(hits["total"], 0, "{hits}");
    let (_, versions) = alice.get(&format!("/api/documents/{id}/versions")).await;
    assert_eq!(
        versions["items"].as_array().map(Vec::len),
        Some(0),
        "{versions}"
    );

    catch_up(&primary_db, &replica_db);

    let (_, list) = alice.get("/api/documents").await;
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["id"], id);
    let (_, hits) = alice.get("/api/search?q=zeppelin").await;
    assert_eq!(hits["total"], 1, "{hits}");
    let (_, versions) = alice.get(&format!("/api/documents/{id}/versions")).await;
    assert_eq!(versions["items"][0]["label"], "v1", "{versions}");
    s.stop().await;
}

#[tokio::test]
async fn a_replica_of_another_kind_of_database_is_refused() {
    let primary = TestDatabase::create(Db::Sqlite).await;
    let config = quire::config::Config {
        database_url: primary.url.clone(),
        database_read_url: Some(common::admin_pg_url()),
        jwt_secret: Some("test-secret-test-secret-test-secret".into()),
        bind_addr: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    let err = quire::server::Server::bind(config)
        .await
        .err()
        .expect("a PostgreSQL replica of a SQLite primary must be refused");
    assert!(err.to_string().contains("same kind of database"), "{err}");
}
