//! Which rule of the schema a failed write broke, told from the database's
//! error rather than from its wording.
//!
//! PostgreSQL names the violated constraint or unique index. SQLite gives
//! only a message: for a unique index on an expression it names the index
//! (`UNIQUE constraint failed: index 'users_email_key'`), for a column
//! constraint or primary key it lists the columns (`UNIQUE constraint
//! failed: api_tokens.token_hash`). [`unique_violation`] reads both.

use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::sqlite::SqliteError;

/// A uniqueness rule of the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unique {
    /// Usernames, case-insensitive (unique index `users_username_key`).
    Username,
    /// E-mail addresses, case-insensitive (unique index `users_email_key`).
    Email,
    /// A document's version numbers (primary key of `document_versions`).
    VersionNumber,
    /// API token hashes (`UNIQUE` column `api_tokens.token_hash`).
    TokenHash,
    /// Document slugs (unique index `documents_slug_idx`).
    Slug,
}

impl Unique {
    const ALL: [Unique; 5] = [
        Unique::Username,
        Unique::Email,
        Unique::VersionNumber,
        Unique::TokenHash,
        Unique::Slug,
    ];

    /// The name PostgreSQL reports: the index names given in the
    /// migrations, and PostgreSQL's own names for the primary key
    /// (`<table>_pkey`) and column constraints (`<table>_<column>_key`).
    fn name(self) -> &'static str {
        match self {
            Unique::Username => "users_username_key",
            Unique::Email => "users_email_key",
            Unique::VersionNumber => "document_versions_pkey",
            Unique::TokenHash => "api_tokens_token_hash_key",
            Unique::Slug => "documents_slug_idx",
        }
    }

    /// The columns SQLite lists for it, as `table.column` in key order;
    /// empty for expression indexes, which SQLite reports by name.
    fn sqlite_columns(self) -> &'static [&'static str] {
        match self {
            Unique::Username | Unique::Email => &[],
            Unique::VersionNumber => &["document_versions.document_id", "document_versions.number"],
            Unique::TokenHash => &["api_tokens.token_hash"],
            Unique::Slug => &["documents.slug"],
        }
    }
}

/// What a unique violation is known to have violated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Violated {
    Known(Unique),
    /// A constraint outside [`Unique`], by name or column list.
    Other(String),
}

/// The uniqueness rule `err` broke, or None when it is not a unique (or
/// primary-key) violation.
pub fn unique_violation(err: &sqlx::Error) -> Option<Violated> {
    let sqlx::Error::Database(db) = err else {
        return None;
    };
    if db.kind() != ErrorKind::UniqueViolation {
        return None;
    }
    let reported = match db.constraint() {
        Some(name) => Reported::Name(name),
        None if db.try_downcast_ref::<SqliteError>().is_some() => sqlite_target(db.message()),
        None => Reported::Name(""),
    };
    Some(classify(&reported))
}

/// True when SQLite refused because another connection holds the lock
/// (`SQLITE_BUSY`, `SQLITE_LOCKED` and their extended codes): worth a
/// retry after a short wait.
pub fn is_busy(err: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = err else {
        return false;
    };
    let Some(sqlite) = db.try_downcast_ref::<SqliteError>() else {
        return false;
    };
    const SQLITE_BUSY: i64 = 5;
    const SQLITE_LOCKED: i64 = 6;
    sqlite
        .code()
        .and_then(|c| c.parse::<i64>().ok())
        .is_some_and(|code| matches!(code & 0xff, SQLITE_BUSY | SQLITE_LOCKED))
}

/// True when PostgreSQL chose this transaction as the victim of a deadlock
/// (40P01) or a serialization failure (40001): nothing was written, and
/// running it again is the remedy.
pub fn is_conflict(err: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = err else {
        return false;
    };
    matches!(db.code().as_deref(), Some("40P01" | "40001"))
}

/// How the database identified the violated rule.
#[derive(Debug, PartialEq, Eq)]
enum Reported<'a> {
    Name(&'a str),
    Columns(Vec<&'a str>),
}

/// Reads SQLite's `UNIQUE constraint failed: …` message: an index name
/// (`index 'name'`) or a column list (`t.a, t.b`).
fn sqlite_target(message: &str) -> Reported<'_> {
    let rest = message
        .split_once("constraint failed:")
        .map_or("", |(_, rest)| rest.trim());
    if let Some(name) = rest
        .strip_prefix("index '")
        .and_then(|n| n.strip_suffix('\''))
    {
        return Reported::Name(name);
    }
    Reported::Columns(
        rest.split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect(),
    )
}

fn classify(reported: &Reported<'_>) -> Violated {
    let known = Unique::ALL.into_iter().find(|u| match reported {
        Reported::Name(name) => u.name() == *name,
        Reported::Columns(cols) => !cols.is_empty() && u.sqlite_columns() == cols.as_slice(),
    });
    match (known, reported) {
        (Some(u), _) => Violated::Known(u),
        (None, Reported::Name(name)) => Violated::Other((*name).to_string()),
        (None, Reported::Columns(cols)) => Violated::Other(cols.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sql::test_pool;

    #[test]
    fn reads_sqlite_messages() {
        assert_eq!(
            sqlite_target("UNIQUE constraint failed: index 'users_email_key'"),
            Reported::Name("users_email_key")
        );
        assert_eq!(
            sqlite_target(
                "UNIQUE constraint failed: document_versions.document_id, document_versions.number"
            ),
            Reported::Columns(vec![
                "document_versions.document_id",
                "document_versions.number"
            ])
        );
        assert_eq!(sqlite_target("something else"), Reported::Columns(vec![]));
    }

    #[test]
    fn classifies_names_and_columns() {
        for u in Unique::ALL {
            assert_eq!(classify(&Reported::Name(u.name())), Violated::Known(u));
        }
        assert_eq!(
            classify(&Reported::Columns(vec!["api_tokens.token_hash"])),
            Violated::Known(Unique::TokenHash)
        );
        assert_eq!(
            classify(&Reported::Columns(vec!["users.id"])),
            Violated::Other("users.id".into())
        );
        assert_eq!(
            classify(&Reported::Columns(vec![])),
            Violated::Other(String::new())
        );
        assert_eq!(
            classify(&Reported::Name("users_pkey")),
            Violated::Other("users_pkey".into())
        );
    }

    /// The rules as the migrated SQLite schema reports them.
    #[tokio::test]
    async fn sqlite_reports_each_rule() {
        let pool = test_pool::migrated().await;
        let insert_user = |id: &'static str, name: &'static str, email: &'static str| {
            sqlx::query(
                "INSERT INTO users (id, username, email, password_hash, created_at) \
                 VALUES ($1, $2, $3, 'h', 0)",
            )
            .bind(id)
            .bind(name)
            .bind(email)
            .execute(&pool)
        };
        insert_user("u1", "alice", "a@x.org").await.unwrap();
        let err = insert_user("u2", "ALICE", "b@x.org").await.unwrap_err();
        assert_eq!(
            unique_violation(&err),
            Some(Violated::Known(Unique::Username))
        );
        let err = insert_user("u3", "bob", "A@x.org").await.unwrap_err();
        assert_eq!(unique_violation(&err), Some(Violated::Known(Unique::Email)));
        let err = insert_user("u1", "carol", "c@x.org").await.unwrap_err();
        assert_eq!(
            unique_violation(&err),
            Some(Violated::Other("users.id".into()))
        );

        sqlx::query(
            "INSERT INTO documents (id, title, owner_id, created_at, updated_at) \
             VALUES ('d1', 'T', 'u1', 0, 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        let insert_version = || {
            sqlx::query(
                "INSERT INTO document_versions (document_id, number, label, state, created_at) \
                 VALUES ('d1', 1, 'v', x'00', 0)",
            )
            .execute(&pool)
        };
        insert_version().await.unwrap();
        let err = insert_version().await.unwrap_err();
        assert_eq!(
            unique_violation(&err),
            Some(Violated::Known(Unique::VersionNumber))
        );

        let insert_token = |id: &'static str| {
            sqlx::query(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) \
                 VALUES ($1, 'u1', 'n', 'hash', 0)",
            )
            .bind(id)
            .execute(&pool)
        };
        insert_token("t1").await.unwrap();
        let err = insert_token("t2").await.unwrap_err();
        assert_eq!(
            unique_violation(&err),
            Some(Violated::Known(Unique::TokenHash))
        );

        // Other failures are not unique violations, nor busy.
        let err = sqlx::query("INSERT INTO nowhere VALUES (1)")
            .execute(&pool)
            .await
            .unwrap_err();
        assert_eq!(unique_violation(&err), None);
        assert!(!is_busy(&err));
        assert!(!is_busy(&sqlx::Error::PoolTimedOut));
    }
}
