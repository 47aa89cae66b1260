//! Accounts and documents for a run, through the REST API.

use std::collections::BTreeSet;

use anyhow::{Context, bail};
use futures_util::StreamExt;
use serde_json::json;

use super::http::Http;

pub struct User {
    pub username: String,
    pub token: String,
}

/// Logs in as an existing user.
pub async fn login(http: &Http, username: &str, password: &str) -> anyhow::Result<User> {
    let r = http
        .post(
            "/api/auth/login",
            None,
            &json!({ "username": username, "password": password }),
        )
        .await?;
    if r.status != 200 {
        bail!("login as {username} failed: {} {}", r.status, r.text());
    }
    let token = r.json()?["token"]
        .as_str()
        .context("login response without token")?
        .to_string();
    Ok(User {
        username: username.to_string(),
        token,
    })
}

/// Registers `n` fresh users `lt{run}u{i}` and logs them in (4 at a time:
/// Argon2 makes each call cost tens of milliseconds on the server).
pub async fn register_users(http: &Http, run: &str, n: usize) -> anyhow::Result<Vec<User>> {
    let password = format!("loadtest-{run}-pw");
    let results: Vec<anyhow::Result<User>> = futures_util::stream::iter(0..n)
        .map(|i| {
            let http = http.clone();
            let password = password.clone();
            let username = format!("lt{run}u{i}");
            async move {
                let r = http
                    .post(
                        "/api/auth/register",
                        None,
                        &json!({
                            "username": username,
                            "email": format!("{username}@loadtest.invalid"),
                            "password": password,
                        }),
                    )
                    .await?;
                if r.status != 201 {
                    bail!("register {username}: {} {}", r.status, r.text());
                }
                login(&http, &username, &password).await
            }
        })
        .buffered(4)
        .collect()
        .await;
    results.into_iter().collect()
}

/// Creates `n` documents owned by `owner`, each with about `body_bytes`
/// of Markdown (paragraphs of plain words; 0 = empty).
pub async fn create_docs(
    http: &Http,
    owner: &User,
    n: usize,
    run: &str,
    body_bytes: usize,
) -> anyhow::Result<Vec<String>> {
    let mut body = String::with_capacity(body_bytes + 64);
    while body.len() < body_bytes {
        body.push_str("The quick brown fox jumps over the lazy dog, again and again.\n\n");
    }
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let r = http
            .post(
                "/api/documents",
                Some(&owner.token),
                &json!({ "title": format!("loadtest {run} #{i}"), "body": body }),
            )
            .await?;
        if r.status != 201 {
            bail!("create document: {} {}", r.status, r.text());
        }
        ids.push(
            r.json()?["id"]
                .as_str()
                .context("document without id")?
                .to_string(),
        );
    }
    Ok(ids)
}

/// Makes each (doc, user) pair an editor (the owner already is).
pub async fn share(
    http: &Http,
    owner: &User,
    pairs: BTreeSet<(String, String)>,
) -> anyhow::Result<()> {
    let results: Vec<anyhow::Result<()>> =
        futures_util::stream::iter(pairs.into_iter().filter(|(_, u)| *u != owner.username))
            .map(|(doc, user)| {
                let http = http.clone();
                let token = owner.token.clone();
                async move {
                    let r = http
                        .request(
                            "PUT",
                            &format!("/api/documents/{doc}/members/{user}"),
                            Some(&token),
                            Some(&json!({ "role": "editor" })),
                        )
                        .await?;
                    if r.status != 200 {
                        bail!("share {doc} with {user}: {} {}", r.status, r.text());
                    }
                    Ok(())
                }
            })
            .buffered(8)
            .collect()
            .await;
    results.into_iter().collect()
}
