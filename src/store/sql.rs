//! [`Store`] over sqlx's `Any` driver: the same SQL text runs on SQLite and
//! PostgreSQL (`$n` placeholders work on both). Column types stay within what
//! `Any` decodes on both: TEXT, BIGINT, BLOB/BYTEA.

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, AssertSqlSafe, Row};

use super::dialect::{self, Backend};
use super::text::{searchable, unmatchable};
use super::*;
use super::{search, tokens, updates, versions};
use crate::util::now_ms;

/// Store for both backends; see module docs.
#[derive(Clone)]
pub struct SqlStore {
    pool: AnyPool,
    /// Lists, search and version history (`DATABASE_READ_URL`, a read
    /// replica); the primary pool unless one is configured.
    read_pool: AnyPool,
    backend: Backend,
}

impl SqlStore {
    /// Connects and runs the migrations.
    pub async fn open(url: &str) -> Result<Self> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating.
    pub async fn connect(url: &str) -> Result<Self> {
        let max = if Backend::from_url(url)? == Backend::Sqlite {
            8
        } else {
            16
        };
        let (pool, backend) = dialect::connect(url, max).await?;
        Ok(Self {
            read_pool: pool.clone(),
            pool,
            backend,
        })
    }

    /// Sends lists, search and version history to a read replica of the
    /// same kind of database. Reads there may lag the primary by the
    /// replication delay; everything else stays on the primary.
    pub async fn with_read_replica(mut self, url: &str) -> Result<Self> {
        let backend = Backend::from_url(url)?;
        if backend != self.backend {
            return Err(StoreError::UnsupportedUrl(format!(
                "{} (a read replica must be the same kind of database as DATABASE_URL)",
                dialect::redact(url)
            )));
        }
        let (pool, _) = dialect::connect(url, 16).await?;
        self.read_pool = pool;
        Ok(self)
    }

    pub async fn migrate(&self) -> Result<()> {
        dialect::migrate(&self.pool, self.backend).await
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

pub(super) const DOC_COLUMNS: &str = "d.id, d.title, d.status, d.tags, d.owner_id, ou.username AS owner_username, \
     d.version, d.created_at, d.updated_at, d.last_edited_by, le.username AS last_edited_by_username, \
     d.last_edited_at";
pub(super) const DOC_JOINS: &str =
    "JOIN users ou ON ou.id = d.owner_id LEFT JOIN users le ON le.id = d.last_edited_by";

fn user_from_row(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn document_from_row(row: &AnyRow, with_role: bool) -> Result<Document> {
    let status: String = row.try_get("status")?;
    let tags: String = row.try_get("tags")?;
    let role = if with_role {
        let r: String = row.try_get("role")?;
        Some(
            r.parse()
                .map_err(|_| StoreError::Corrupt(format!("role {r}")))?,
        )
    } else {
        None
    };
    Ok(Document {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        status: status
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("status {status}")))?,
        tags: serde_json::from_str(&tags).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        owner_id: row.try_get("owner_id")?,
        owner_username: row.try_get("owner_username")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        last_edited_by: row.try_get("last_edited_by")?,
        last_edited_by_username: row.try_get("last_edited_by_username")?,
        last_edited_at: row.try_get("last_edited_at")?,
        role,
    })
}

/// Maps a unique-constraint violation to `Duplicate(what)`.
fn map_unique(err: sqlx::Error, what: impl Fn(&str) -> &'static str) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        let msg = db.message().to_ascii_lowercase();
        if db.is_unique_violation() || msg.contains("unique") || msg.contains("duplicate key") {
            return StoreError::Duplicate(what(&msg));
        }
    }
    StoreError::Database(err)
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

async fn write_tags(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    doc_id: &str,
    tags: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM document_tags WHERE document_id = $1")
        .bind(doc_id)
        .execute(&mut **tx)
        .await?;
    for tag in tags {
        sqlx::query(
            "INSERT INTO document_tags (document_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(doc_id)
        .bind(tag)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn write_audit(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    doc_id: &str,
    user_id: &str,
    action: &str,
    details: serde_json::Value,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (document_id, user_id, action, details, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(doc_id)
    .bind(user_id)
    .bind(action)
    .bind(details.to_string())
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn create_user(&self, new: NewUser) -> Result<User> {
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
        .execute(&self.pool)
        .await
        .map_err(|e| map_unique(e, |m| if m.contains("email") { "email" } else { "username" }))?;
        Ok(user)
    }

    async fn user_credentials(&self, login: &str) -> Result<Option<(User, String)>> {
        if unmatchable(login) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT id, username, email, created_at, password_hash FROM users \
             WHERE LOWER(username) = LOWER($1) OR LOWER(email) = LOWER($1)",
        )
        .bind(login)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some((user_from_row(&r)?, r.try_get("password_hash")?))),
            None => Ok(None),
        }
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        if unmatchable(id) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT id, username, email, created_at FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn find_user(&self, id_or_username: &str) -> Result<Option<User>> {
        if unmatchable(id_or_username) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT id, username, email, created_at FROM users WHERE id = $1 OR LOWER(username) = LOWER($1)",
        )
        .bind(id_or_username)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn search_users(&self, prefix: &str, limit: i64) -> Result<Vec<User>> {
        // Sorted by lower-cased name, an exact match comes before the
        // longer names it prefixes.
        let prefix = prefix.trim().to_lowercase();
        if unmatchable(&prefix) {
            return Ok(Vec::new());
        }
        let pattern = format!("{}%", escape_like(&prefix));
        let rows = sqlx::query(
            "SELECT id, username, email, created_at FROM users WHERE LOWER(username) LIKE $1 ESCAPE '\\' \
             ORDER BY LOWER(username), username LIMIT $2",
        )
        .bind(pattern)
        .bind(limit.max(0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn create_api_token(
        &self,
        user_id: &str,
        name: &str,
        hash: &str,
        read_only: bool,
        expires_at: Option<i64>,
    ) -> Result<ApiToken> {
        tokens::create(&self.pool, user_id, name, hash, read_only, expires_at).await
    }

    async fn api_tokens(&self, user_id: &str) -> Result<Vec<ApiToken>> {
        tokens::list(&self.pool, user_id).await
    }

    async fn revoke_api_token(&self, user_id: &str, id: &str) -> Result<bool> {
        if unmatchable(id) {
            return Ok(false);
        }
        tokens::revoke(&self.pool, user_id, id).await
    }

    async fn api_token_is_live(&self, id: &str) -> Result<bool> {
        tokens::is_live(&self.pool, id).await
    }

    async fn api_token_user(&self, hash: &str) -> Result<Option<(ApiToken, User)>> {
        tokens::authenticate(&self.pool, hash).await
    }

    async fn create_document(&self, new: NewDocument) -> Result<Document> {
        let id = uuid::Uuid::now_v7().to_string();
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO documents (id, title, status, tags, owner_id, version, created_at, updated_at, content_text) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7)",
        )
        .bind(&id)
        .bind(&new.title)
        .bind(new.status.as_str())
        .bind(tags_json(&new.tags))
        .bind(&new.owner_id)
        .bind(now)
        .bind(searchable(&new.initial_text).as_ref())
        .execute(&mut *tx)
        .await?;
        write_tags(&mut tx, &id, &new.tags).await?;
        sqlx::query(
            "INSERT INTO document_members (document_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
        )
        .bind(&id)
        .bind(&new.owner_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if let Some(update) = &new.initial_update {
            sqlx::query(
                "INSERT INTO document_updates (document_id, data, user_id, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&id)
            .bind(update.as_slice())
            .bind(&new.owner_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let details = serde_json::json!({ "title": new.title, "status": new.status.as_str(), "tags": new.tags });
        write_audit(&mut tx, &id, &new.owner_id, "document.create", details, now).await?;
        tx.commit().await?;
        self.document_for(&id, &new.owner_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("document vanished after create".into()))
    }

    async fn document_for(&self, id: &str, user_id: &str) -> Result<Option<Document>> {
        if unmatchable(id) || unmatchable(user_id) {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {DOC_COLUMNS}, m.role FROM documents d {DOC_JOINS} \
             JOIN document_members m ON m.document_id = d.id AND m.user_id = $2 WHERE d.id = $1"
        );
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(|r| document_from_row(r, true)).transpose()
    }

    async fn document_exists(&self, id: &str) -> Result<bool> {
        if unmatchable(id) {
            return Ok(false);
        }
        let row = sqlx::query("SELECT 1 FROM documents WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn owned_document_count(&self, user_id: &str) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM documents WHERE owner_id = $1")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    async fn list_documents(&self, user_id: &str, q: &ListQuery) -> Result<(Vec<Document>, i64)> {
        // A tag or owner with NUL matches nothing stored.
        let hopeless = [q.tag.as_deref(), q.owner.as_deref()]
            .into_iter()
            .flatten()
            .any(unmatchable);
        if hopeless {
            return Ok((Vec::new(), 0));
        }
        // Built from fixed fragments; every value is bound.
        let mut filters = String::new();
        let mut binds: Vec<String> = vec![user_id.to_string()];
        if let Some(status) = q.status {
            binds.push(status.as_str().into());
            filters.push_str(&format!(" AND d.status = ${}", binds.len()));
        }
        if let Some(tag) = &q.tag {
            binds.push(tag.clone());
            filters.push_str(&format!(
                " AND EXISTS (SELECT 1 FROM document_tags t WHERE t.document_id = d.id AND t.tag = ${})",
                binds.len()
            ));
        }
        if let Some(owner) = &q.owner {
            binds.push(owner.clone());
            let n = binds.len();
            filters.push_str(&format!(
                " AND (d.owner_id = ${n} OR LOWER(ou.username) = LOWER(${n}))"
            ));
        }
        if let Some(t) = &q.title_contains {
            let t = t.replace('\0', "");
            binds.push(format!("%{}%", escape_like(&t.to_lowercase())));
            let n = binds.len();
            filters.push_str(&format!(
                " AND (LOWER(d.title) LIKE ${n} ESCAPE '\\' OR LOWER(d.content_text) LIKE ${n} ESCAPE '\\')"
            ));
        }
        let from = format!(
            "FROM documents d {DOC_JOINS} JOIN document_members m ON m.document_id = d.id AND m.user_id = $1 \
             WHERE 1 = 1{filters}"
        );
        let order = match q.sort {
            SortField::UpdatedAt => "d.updated_at",
            SortField::CreatedAt => "d.created_at",
            SortField::Title => "LOWER(d.title)",
        };
        let dir = if q.descending { "DESC" } else { "ASC" };
        let list_sql = format!(
            "SELECT {DOC_COLUMNS}, m.role {from} ORDER BY {order} {dir}, d.id {dir} LIMIT ${} OFFSET ${}",
            binds.len() + 1,
            binds.len() + 2
        );
        let mut list = sqlx::query(AssertSqlSafe(list_sql));
        for b in &binds {
            list = list.bind(b.clone());
        }
        let rows = list
            .bind(q.limit)
            .bind(q.offset)
            .fetch_all(&self.read_pool)
            .await?;
        let items = rows
            .iter()
            .map(|r| document_from_row(r, true))
            .collect::<Result<Vec<_>>>()?;
        let mut count = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) AS n {from}")));
        for b in &binds {
            count = count.bind(b.clone());
        }
        let total: i64 = count.fetch_one(&self.read_pool).await?.try_get("n")?;
        Ok((items, total))
    }

    async fn patch_document(
        &self,
        id: &str,
        actor: &str,
        patch: &DocumentPatch,
    ) -> Result<PatchOutcome> {
        let Some(current) = self.document_for(id, actor).await? else {
            return Ok(PatchOutcome::NotFound);
        };
        let now = now_ms();
        let title = patch.title.clone().unwrap_or_else(|| current.title.clone());
        let status = patch.status.unwrap_or(current.status);
        let tags = patch.tags.clone().unwrap_or_else(|| current.tags.clone());
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE documents SET title = $1, status = $2, tags = $3, version = version + 1, updated_at = $4 \
             WHERE id = $5 AND version = $6",
        )
        .bind(&title)
        .bind(status.as_str())
        .bind(tags_json(&tags))
        .bind(now)
        .bind(id)
        .bind(patch.expected_version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return match self.document_for(id, actor).await? {
                Some(doc) => Ok(PatchOutcome::Conflict(doc)),
                None => Ok(PatchOutcome::NotFound),
            };
        }
        if patch.tags.is_some() {
            write_tags(&mut tx, id, &tags).await?;
        }
        let mut changes = serde_json::Map::new();
        if title != current.title {
            changes.insert(
                "title".into(),
                serde_json::json!({ "from": current.title, "to": title }),
            );
        }
        if status != current.status {
            changes.insert(
                "status".into(),
                serde_json::json!({ "from": current.status.as_str(), "to": status.as_str() }),
            );
        }
        if tags != current.tags {
            changes.insert(
                "tags".into(),
                serde_json::json!({ "from": current.tags, "to": tags }),
            );
        }
        let details =
            serde_json::json!({ "version": patch.expected_version + 1, "changes": changes });
        write_audit(&mut tx, id, actor, "document.update", details, now).await?;
        tx.commit().await?;
        match self.document_for(id, actor).await? {
            Some(doc) => Ok(PatchOutcome::Updated(doc)),
            None => Ok(PatchOutcome::NotFound),
        }
    }

    async fn delete_document(&self, id: &str, actor: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        // Children first: ON DELETE CASCADE needs foreign_keys on SQLite,
        // which we set, but explicit deletes keep both backends identical.
        for table in [
            "document_tags",
            "document_members",
            "document_snapshots",
            "document_updates",
            "document_versions",
            "document_activity",
        ] {
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE document_id = $1"
            )))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        let done = sqlx::query("DELETE FROM documents WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        write_audit(
            &mut tx,
            id,
            actor,
            "document.delete",
            serde_json::json!({}),
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn role_of(&self, doc_id: &str, user_id: &str) -> Result<Option<Role>> {
        if unmatchable(doc_id) || unmatchable(user_id) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT role FROM document_members WHERE document_id = $1 AND user_id = $2",
        )
        .bind(doc_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => {
                let role: String = r.try_get("role")?;
                Ok(role.parse().ok())
            }
            None => Ok(None),
        }
    }

    async fn members(&self, doc_id: &str) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT m.user_id, u.username, m.role FROM document_members m JOIN users u ON u.id = m.user_id \
             WHERE m.document_id = $1 ORDER BY m.created_at, u.username",
        )
        .bind(doc_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get("role")?;
                Ok(Member {
                    user_id: r.try_get("user_id")?,
                    username: r.try_get("username")?,
                    role: role
                        .parse()
                        .map_err(|_| StoreError::Corrupt(format!("role {role}")))?,
                })
            })
            .collect()
    }

    async fn set_member(&self, doc_id: &str, user_id: &str, role: Role, actor: &str) -> Result<()> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO document_members (document_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (document_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(doc_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let details = serde_json::json!({ "user_id": user_id, "role": role.as_str() });
        write_audit(&mut tx, doc_id, actor, "member.set", details, now).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn remove_member(&self, doc_id: &str, user_id: &str, actor: &str) -> Result<bool> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let done =
            sqlx::query("DELETE FROM document_members WHERE document_id = $1 AND user_id = $2")
                .bind(doc_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() > 0 {
            let details = serde_json::json!({ "user_id": user_id });
            write_audit(&mut tx, doc_id, actor, "member.remove", details, now).await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    async fn audit(
        &self,
        doc_id: &str,
        user_id: &str,
        action: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        write_audit(&mut tx, doc_id, user_id, action, details, now_ms()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn audit_entries(&self, doc_id: &str, limit: i64) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT a.id, a.user_id, u.username, a.action, a.details, a.created_at FROM audit_log a \
             LEFT JOIN users u ON u.id = a.user_id WHERE a.document_id = $1 ORDER BY a.id DESC LIMIT $2",
        )
        .bind(doc_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let details: String = r.try_get("details")?;
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    user_id: r.try_get("user_id")?,
                    username: r.try_get("username")?,
                    action: r.try_get("action")?,
                    details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn activity(&self, doc_id: &str) -> Result<Vec<EditActivity>> {
        let rows = sqlx::query(
            "SELECT a.user_id, u.username, a.edits, a.first_at, a.last_at FROM document_activity a \
             LEFT JOIN users u ON u.id = a.user_id WHERE a.document_id = $1 ORDER BY a.last_at DESC",
        )
        .bind(doc_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EditActivity {
                    user_id: r.try_get("user_id")?,
                    username: r.try_get("username")?,
                    edits: r.try_get("edits")?,
                    first_at: r.try_get("first_at")?,
                    last_at: r.try_get("last_at")?,
                })
            })
            .collect()
    }

    async fn append_updates(&self, batch: &[NewUpdate]) -> Result<u64> {
        updates::append(&self.pool, batch).await
    }

    async fn load_state(&self, doc_id: &str, max_snapshots: i64) -> Result<StoredState> {
        updates::load(&self.pool, doc_id, max_snapshots).await
    }

    async fn compact(&self, snap: &NewSnapshot, text: &str) -> Result<()> {
        updates::compact(&self.pool, snap, &searchable(text)).await
    }

    async fn touch_edited(&self, doc_id: &str, user_id: &str, at_ms: i64) -> Result<()> {
        updates::touch_edited(&self.pool, doc_id, user_id, at_ms).await
    }

    async fn pending_update_count(&self, doc_id: &str) -> Result<i64> {
        updates::pending_count(&self.pool, doc_id).await
    }

    async fn update_text(&self, doc_id: &str, text: &str) -> Result<()> {
        sqlx::query("UPDATE documents SET content_text = $1 WHERE id = $2")
            .bind(searchable(text).as_ref())
            .bind(doc_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn create_version(&self, new: &NewVersion) -> Result<Version> {
        versions::create(
            &self.pool,
            new,
            &searchable(&new.text),
            &searchable(&new.label),
        )
        .await
    }

    async fn make_room_for_version(&self, doc_id: &str, max: i64) -> Result<()> {
        versions::make_room(&self.pool, doc_id, max).await
    }

    async fn versions(&self, doc_id: &str) -> Result<Vec<Version>> {
        versions::list(&self.read_pool, doc_id).await
    }

    async fn version(
        &self,
        doc_id: &str,
        number: i64,
    ) -> Result<Option<(Version, Vec<u8>, String)>> {
        versions::get(&self.pool, doc_id, number).await
    }

    async fn search(&self, user_id: &str, q: &SearchQuery) -> Result<(Vec<SearchHit>, i64)> {
        search::search(&self.read_pool, self.backend, user_id, q).await
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
