//! Commands besides `serve`: `user add`, `seed`. They talk to the store
//! directly, with the same validation as the API.

use crate::auth::password;
use crate::config::Limits;
use crate::store::{NewDocument, NewUser, Role, Status, Store, StoreError, User};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

impl From<crate::api::error::ApiError> for CliError {
    fn from(e: crate::api::error::ApiError) -> Self {
        CliError::Invalid(e.to_string())
    }
}

impl From<crate::collab::content::ContentError> for CliError {
    fn from(e: crate::collab::content::ContentError) -> Self {
        CliError::Invalid(e.to_string())
    }
}

pub async fn add_user(
    store: &dyn Store,
    username: &str,
    email: &str,
    pw: &str,
) -> Result<User, CliError> {
    if pw.chars().count() < 8 {
        return Err(CliError::Invalid(
            "password must be at least 8 characters".into(),
        ));
    }
    let password_hash = password::hash_blocking(pw.to_string())
        .await
        .map_err(|e| CliError::Invalid(e.to_string()))?;
    Ok(store
        .create_user(NewUser {
            username: username.into(),
            email: email.into(),
            password_hash,
        })
        .await?)
}

/// Demo data: users alice, bob and carol (password `quire-demo`), and a few
/// documents with content and shares. Idempotent for the users.
pub async fn seed(store: &dyn Store, password: &str) -> Result<Vec<String>, CliError> {
    let mut report = Vec::new();
    let mut users = Vec::new();
    for name in ["alice", "bob", "carol"] {
        let user = match store.find_user(name).await? {
            Some(u) => u,
            None => add_user(store, name, &format!("{name}@example.com"), password).await?,
        };
        report.push(format!("user {name} / password {password}"));
        users.push(user);
    }
    let [alice, bob, carol] = [&users[0], &users[1], &users[2]];
    let docs: [(&str, Status, &[&str], &str); 3] = [
        (
            "Welcome to Quire",
            Status::Published,
            &["guide"],
            "# Welcome to Quire\n\nQuire is a **real-time** collaborative editor. Open this document in two \
             browsers and type.\n\n- Live cursors\n- Named versions\n- Offline editing\n",
        ),
        (
            "Launch plan",
            Status::Review,
            &["planning", "q3"],
            "# Launch plan\n\n## Goals\n\n1. Ship the beta\n2. Collect feedback\n\n> Keep it simple.\n",
        ),
        (
            "Meeting notes",
            Status::Draft,
            &["notes"],
            "# Meeting notes\n\nAttendees: alice, bob, carol.\n\nAction items are *tracked* here.\n",
        ),
    ];
    let limits = Limits::default();
    for (title, status, tags, body) in docs {
        let (initial_update, initial_text) = match crate::collab::initial_state(body, "markdown") {
            Ok((u, t)) => (Some(u), t),
            Err(_) => (None, String::new()),
        };
        let doc = store
            .create_document(NewDocument {
                title: crate::api::validate::title(title, &limits)?,
                status,
                tags: tags.iter().map(|t| t.to_string()).collect(),
                owner_id: alice.id.clone(),
                initial_update,
                initial_text,
            })
            .await?;
        store
            .set_member(&doc.id, &bob.id, Role::Editor, &alice.id)
            .await?;
        store
            .set_member(&doc.id, &carol.id, Role::Viewer, &alice.id)
            .await?;
        report.push(format!(
            "document {:?} ({}) shared with bob (editor), carol (viewer)",
            title, doc.id
        ));
    }
    Ok(report)
}

/// The document's current content (stored state) rendered as `format`
/// (`md`/`markdown`, `html`, `json`, `text`).
pub async fn export(store: &dyn Store, doc_id: &str, format: &str) -> Result<String, CliError> {
    let format: quire_doc::content::Format = format.parse().map_err(|_| {
        CliError::Invalid(format!(
            "unknown format {format:?}: use md, html, json or text"
        ))
    })?;
    if !store.document_exists(doc_id).await? {
        return Err(CliError::Invalid(format!("no document {doc_id}")));
    }
    let stored = store
        .load_state(doc_id, crate::store::SNAPSHOTS_KEPT)
        .await?;
    let built = crate::collab::hub::build_doc(&stored);
    let out = crate::collab::content::render(&built.doc, format);
    Ok(match &out["content"] {
        serde_json::Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    })
}

/// Creates a document from a Markdown or HTML body. Without `owner`, the
/// first user created owns it.
pub async fn import(
    store: &dyn Store,
    title: &str,
    body: &str,
    format: &str,
    owner: Option<&str>,
) -> Result<crate::store::Document, CliError> {
    let owner = match owner {
        Some(name) => store
            .find_user(name)
            .await?
            .ok_or_else(|| CliError::Invalid(format!("no user {name:?}")))?,
        None => store
            .search_users("", 1_000_000)
            .await?
            .into_iter()
            .min_by_key(|u| u.created_at)
            .ok_or_else(|| {
                CliError::Invalid("no users yet: create one with `quire user add`".into())
            })?,
    };
    let limits = Limits::default();
    let (update, text) = crate::collab::initial_state(body, format)?;
    Ok(store
        .create_document(NewDocument {
            title: crate::api::validate::title(title, &limits)?,
            status: Status::Draft,
            tags: Vec::new(),
            owner_id: owner.id,
            initial_update: Some(update),
            initial_text: text,
        })
        .await?)
}
