//! Test harness: a real server on 127.0.0.1:0 over a fresh database.
//!
//! SQLite: a temp file. PostgreSQL: a uniquely named database created on
//! `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! and dropped afterwards. PostgreSQL tests fail (not skip) when the server is
//! unreachable, so a green run always means both backends were tested.
#![allow(dead_code)]

use std::sync::Arc;

use quire::config::Config;
use quire::server::Server;
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Generates `mod $name { sqlite, postgres }` tests running `$scenario(&TestServer)`.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $scenario:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let server = $crate::common::TestServer::start($crate::common::Db::Sqlite).await;
                $scenario(&server).await;
                server.stop().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let server = $crate::common::TestServer::start($crate::common::Db::Postgres).await;
                $scenario(&server).await;
                server.stop().await;
            }
        }
    };
}

pub fn admin_pg_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub async fn create(db: Db) -> Self {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite://{}/quire.db?mode=rwc", dir.path().display());
                Self {
                    url,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Db::Postgres => {
                let name = format!("quire_test_{}", uuid::Uuid::new_v4().simple());
                let admin = admin_pg_url();
                run_admin_sql(&admin, &format!("CREATE DATABASE {name}")).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL at {admin} is required for this test (set TEST_POSTGRES_URL): {e}")
                });
                let mut url = url::Url::parse(&admin).expect("TEST_POSTGRES_URL");
                url.set_path(&format!("/{name}"));
                Self {
                    url: url.to_string(),
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }
}

async fn run_admin_sql(admin_url: &str, sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(admin_url).await?;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await?;
    conn.close().await
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            // Drop runs outside async context: use a private runtime on a thread.
            let admin = admin_pg_url();
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(run_admin_sql(
                    &admin,
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ))
                .ok()
            })
            .join();
        }
    }
}

pub struct TestServer {
    pub base: String,
    pub addr: std::net::SocketAddr,
    pub db: Arc<TestDatabase>,
    pub state: quire::state::AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start(db: Db) -> Self {
        Self::start_with(db, |_| {}).await
    }

    pub async fn start_with(db: Db, tweak: impl FnOnce(&mut Config)) -> Self {
        let db = Arc::new(TestDatabase::create(db).await);
        Self::start_on(db, tweak).await
    }

    /// Starts a server on an existing database (e.g. after a restart).
    pub async fn start_on(db: Arc<TestDatabase>, tweak: impl FnOnce(&mut Config)) -> Self {
        if std::env::var_os("QUIRE_TEST_LOG").is_some() {
            quire::telemetry::init_logging(quire::config::LogFormat::Text);
        }
        let mut config = Config {
            database_url: db.url.clone(),
            jwt_secret: Some("test-secret-test-secret-test-secret".into()),
            bind_addr: "127.0.0.1:0".parse().expect("addr"),
            ..Config::default()
        };
        tweak(&mut config);
        let server = Server::bind(config).await.expect("server starts");
        let addr = server.local_addr().expect("addr");
        let state = server.state.clone();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            let _ = server
                .run(async {
                    let _ = rx.await;
                })
                .await;
        });
        Self {
            base: format!("http://{addr}"),
            addr,
            db,
            state,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(10), task).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A client with a cookie store (a browser-like session).
    pub fn browser(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .build()
            .expect("client")
    }

    pub async fn register(&self, username: &str) -> Value {
        let resp = Client::new()
            .post(self.url("/api/auth/register"))
            .json(&json!({ "username": username, "email": format!("{username}@example.com"), "password": "password123" }))
            .send()
            .await
            .expect("register");
        assert_eq!(resp.status(), StatusCode::CREATED, "register {username}");
        resp.json().await.expect("json")
    }

    /// Registers `username` and returns an API client for them.
    pub async fn user(&self, username: &str) -> Api {
        let user = self.register(username).await;
        let resp = Client::new()
            .post(self.url("/api/auth/login"))
            .json(&json!({ "username": username, "password": "password123" }))
            .send()
            .await
            .expect("login");
        assert_eq!(resp.status(), StatusCode::OK);
        let body: Value = resp.json().await.expect("json");
        Api {
            base: self.base.clone(),
            token: body["token"].as_str().expect("token").to_string(),
            id: user["id"].as_str().expect("id").to_string(),
            username: username.to_string(),
            client: Client::new(),
        }
    }
}

/// A bearer-token API client for one user.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: String,
    pub id: String,
    pub username: String,
    pub client: Client,
}

impl Api {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp: Response = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Gives `username` `role` on `doc` (as its owner).
    pub async fn share(&self, doc: &str, username: &str, role: &str) {
        let (status, body) = self
            .put(
                &format!("/api/documents/{doc}/members/{username}"),
                json!({ "role": role }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// Creates a document and returns its JSON.
    pub async fn create_doc(&self, title: &str) -> Value {
        let (status, doc) = self.post("/api/documents", json!({ "title": title })).await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        doc
    }
}

/// The `id` of a JSON object.
pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

pub mod events;
pub mod redis;
pub mod yclient;
