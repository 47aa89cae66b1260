//! Users: sign-up, lookup by id, name or e-mail (names and addresses are
//! unique case-insensitively), and prefix search for sharing dialogs.

use sqlx::{AnyPool, AssertSqlSafe, Row};

use super::constraint::{Unique, Violated, unique_violation};
use super::rows::{self, USER_COLUMNS};
use crate::store::text::{escape_like, unmatchable};
use crate::store::{NewUser, Result, StoreError, User, UserCredentials};
use crate::util::now_ms;

/// Inserts the user; a taken username or e-mail (in any case) is
/// [`StoreError::Duplicate`] naming which.
pub async fn create(pool: &AnyPool, new: NewUser) -> Result<User> {
    let user = User {
        id: uuid::Uuid::now_v7().to_string(),
        username: new.username,
        email: new.email,
        created_at: now_ms(),
    };
    sqlx::query(
        "INSERT INTO users (id, username, email, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&user.id)
    .bind(&user.username)
    .bind(&user.email)
    .bind(&new.password_hash)
    .bind(user.created_at)
    .execute(pool)
    .await
    .map_err(|e| match unique_violation(&e) {
        Some(Violated::Known(Unique::Email)) => StoreError::Duplicate("email"),
        Some(Violated::Known(Unique::Username)) => StoreError::Duplicate("username"),
        _ => e.into(),
    })?;
    Ok(user)
}

/// By username or e-mail, case-insensitive, with the password hash.
pub async fn credentials(pool: &AnyPool, login: &str) -> Result<Option<UserCredentials>> {
    if unmatchable(login) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {USER_COLUMNS}, password_hash FROM users \
         WHERE LOWER(username) = LOWER($1) OR LOWER(email) = LOWER($1)"
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(login)
        .fetch_optional(pool)
        .await?;
    row.map(|r| {
        Ok(UserCredentials {
            user: rows::user(&r)?,
            password_hash: r.try_get("password_hash")?,
        })
    })
    .transpose()
}

pub async fn by_id(pool: &AnyPool, id: &str) -> Result<Option<User>> {
    if unmatchable(id) {
        return Ok(None);
    }
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(rows::user).transpose()
}

/// By id or username (case-insensitive).
pub async fn find(pool: &AnyPool, id_or_username: &str) -> Result<Option<User>> {
    if unmatchable(id_or_username) {
        return Ok(None);
    }
    let sql =
        format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 OR LOWER(username) = LOWER($1)");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id_or_username)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(rows::user).transpose()
}

/// Users whose name equals or starts with `prefix`, case-insensitive. Sorted
/// by lower-cased name, so an exact match comes before the longer names it
/// prefixes; at most `limit`.
pub async fn search(pool: &AnyPool, prefix: &str, limit: i64) -> Result<Vec<User>> {
    let prefix = prefix.trim().to_lowercase();
    if unmatchable(&prefix) {
        return Ok(Vec::new());
    }
    let pattern = format!("{}%", escape_like(&prefix));
    let sql = format!(
        "SELECT {USER_COLUMNS} FROM users WHERE LOWER(username) LIKE $1 ESCAPE '\\' \
         ORDER BY LOWER(username), username LIMIT $2"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(pattern)
        .bind(limit.max(0))
        .fetch_all(pool)
        .await?;
    rows.iter().map(rows::user).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::test_pool;

    fn new(name: &str, email: &str) -> NewUser {
        NewUser {
            username: name.into(),
            email: email.into(),
            password_hash: "phc".into(),
        }
    }

    #[tokio::test]
    async fn duplicates_name_the_taken_field() {
        let pool = test_pool::migrated().await;
        let alice = create(&pool, new("Alice", "alice@x.org")).await.unwrap();
        assert!(matches!(
            create(&pool, new("alice", "other@x.org")).await,
            Err(StoreError::Duplicate("username"))
        ));
        assert!(matches!(
            create(&pool, new("other", "ALICE@x.org")).await,
            Err(StoreError::Duplicate("email"))
        ));
        let found = credentials(&pool, "ALICE@X.ORG").await.unwrap().unwrap();
        assert_eq!(found.user, alice);
        assert_eq!(found.password_hash, "phc");
        assert!(credentials(&pool, "alice\0").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn prefix_search_escapes_like_wildcards() {
        let pool = test_pool::migrated().await;
        for (name, email) in [
            ("ann", "1@x"),
            ("anna", "2@x"),
            ("a_b", "3@x"),
            ("axb", "4@x"),
        ] {
            create(&pool, new(name, email)).await.unwrap();
        }
        let names = |users: Vec<User>| users.into_iter().map(|u| u.username).collect::<Vec<_>>();
        assert_eq!(
            names(search(&pool, " AN ", 10).await.unwrap()),
            ["ann", "anna"]
        );
        assert_eq!(names(search(&pool, "a_", 10).await.unwrap()), ["a_b"]);
        assert_eq!(names(search(&pool, "an", 1).await.unwrap()), ["ann"]);
        assert!(search(&pool, "an", -1).await.unwrap().is_empty());
    }
}
