//! [`Store`] over sqlx's `Any` driver: the same SQL text runs on SQLite and
//! PostgreSQL (`$n` placeholders work on both). Column types stay within what
//! `Any` decodes on both: TEXT, BIGINT, BLOB/BYTEA.
//!
//! [`SqlStore`] holds the pools and only delegates; the queries are free
//! functions over a pool, one module per aggregate (users, documents,
//! members, audit, updates, versions, tokens, search, publishing, webhooks,
//! trash, media), with row mapping in
//! [`rows`] and unique-violation classification in [`constraint`].

pub mod audit;
pub mod comments;
pub mod constraint;
pub mod dialect;
pub mod documents;
pub mod media;
pub mod members;
pub mod publishing;
pub mod rows;
pub mod search;
pub mod sessions;
pub mod tokens;
pub mod trash;
pub mod updates;
pub mod users;
pub mod versions;
pub mod webhooks;

use async_trait::async_trait;
use sqlx::AnyPool;

use super::text::searchable;
use super::*;
use dialect::Backend;

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

#[async_trait]
impl TrashStore for SqlStore {
    async fn trash_document(&self, id: &str, actor: &str, now: i64) -> Result<bool> {
        trash::trash(&self.pool, id, actor, now).await
    }

    async fn restore_document(&self, owner_id: &str, id: &str, now: i64) -> Result<bool> {
        trash::restore(&self.pool, owner_id, id, now).await
    }

    async fn trashed_documents(&self, owner_id: &str) -> Result<Vec<TrashedDocument>> {
        trash::list(&self.pool, owner_id).await
    }

    async fn trashed_document(&self, owner_id: &str, id: &str) -> Result<Option<TrashedDocument>> {
        trash::get(&self.pool, owner_id, id).await
    }

    async fn purge_document(
        &self,
        id: &str,
        owner_id: Option<&str>,
        trashed_before: Option<i64>,
    ) -> Result<bool> {
        trash::purge(&self.pool, id, owner_id, trashed_before, owner_id).await
    }

    async fn expired_trash(&self, before: i64, limit: i64) -> Result<Vec<String>> {
        trash::expired(&self.pool, before, limit).await
    }
}

#[async_trait]
impl MediaStore for SqlStore {
    async fn put_media(&self, new: &NewMedia) -> Result<Option<Media>> {
        media::put(&self.pool, new).await
    }

    async fn media(&self, id: &str) -> Result<Option<StoredMedia>> {
        media::get(&self.pool, id).await
    }
}

#[async_trait]
impl WebhookStore for SqlStore {
    async fn create_webhook(&self, new: &NewWebhook) -> Result<Webhook> {
        webhooks::create(&self.pool, new).await
    }

    async fn webhooks(&self, user_id: &str) -> Result<Vec<Webhook>> {
        webhooks::list(&self.pool, user_id).await
    }

    async fn webhook(&self, user_id: &str, id: &str) -> Result<Option<Webhook>> {
        webhooks::get(&self.pool, user_id, id).await
    }

    async fn delete_webhook(&self, user_id: &str, id: &str) -> Result<bool> {
        webhooks::delete(&self.pool, user_id, id).await
    }

    async fn webhook_count(&self, user_id: &str) -> Result<i64> {
        webhooks::count(&self.pool, user_id).await
    }

    async fn settled_changes(&self, quiet_since: i64, limit: i64) -> Result<Vec<String>> {
        webhooks::settled(&self.pool, quiet_since, limit).await
    }

    async fn settle_change(&self, document_id: &str, quiet_since: i64) -> Result<bool> {
        webhooks::settle(&self.pool, document_id, quiet_since).await
    }

    async fn outbox(&self, limit: i64) -> Result<Vec<OutboxEvent>> {
        webhooks::outbox(&self.pool, limit).await
    }

    async fn dispatch_event(
        &self,
        event: &OutboxEvent,
        owner_id: &str,
        body: Option<&str>,
        expires_at: i64,
    ) -> Result<bool> {
        webhooks::dispatch(&self.pool, event, owner_id, body, expires_at).await
    }

    async fn due_deliveries(&self, now: i64, limit: i64) -> Result<Vec<WebhookDelivery>> {
        webhooks::due(&self.pool, now, limit).await
    }

    async fn next_delivery_at(&self, now: i64) -> Result<Option<i64>> {
        webhooks::next_due(&self.pool, now).await
    }

    async fn lease_delivery(&self, id: &str, now: i64, until: i64) -> Result<bool> {
        webhooks::lease(&self.pool, id, now, until).await
    }

    async fn finish_delivery(
        &self,
        id: &str,
        attempt: &DeliveryAttempt,
        status: DeliveryStatus,
        next: Option<i64>,
    ) -> Result<()> {
        webhooks::finish(&self.pool, id, attempt, status, next).await
    }

    async fn deliveries(&self, webhook_id: &str, limit: i64) -> Result<Vec<WebhookDelivery>> {
        webhooks::deliveries(&self.pool, webhook_id, limit).await
    }

    async fn redeliver(
        &self,
        webhook_id: &str,
        id: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<Option<WebhookDelivery>> {
        webhooks::redeliver(&self.pool, webhook_id, id, now, expires_at).await
    }

    async fn prune_deliveries(&self, before: i64) -> Result<u64> {
        webhooks::prune(&self.pool, before).await
    }
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
        users::create(&self.pool, new).await
    }

    async fn user_credentials(&self, login: &str) -> Result<Option<UserCredentials>> {
        users::credentials(&self.pool, login).await
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        users::by_id(&self.pool, id).await
    }

    async fn find_user(&self, id_or_username: &str) -> Result<Option<User>> {
        users::find(&self.pool, id_or_username).await
    }

    async fn search_users(&self, prefix: &str, limit: i64) -> Result<Vec<User>> {
        users::search(&self.pool, prefix, limit).await
    }

    async fn create_api_token(
        &self,
        user_id: &str,
        name: &str,
        hash: &str,
        read_only: bool,
        delivery_only: bool,
        expires_at: Option<i64>,
    ) -> Result<ApiToken> {
        tokens::create(
            &self.pool,
            user_id,
            name,
            hash,
            read_only,
            delivery_only,
            expires_at,
        )
        .await
    }

    async fn api_tokens(&self, user_id: &str) -> Result<Vec<ApiToken>> {
        tokens::list(&self.pool, user_id).await
    }

    async fn revoke_api_token(&self, user_id: &str, id: &str) -> Result<bool> {
        tokens::revoke(&self.pool, user_id, id).await
    }

    async fn api_token_is_live(&self, id: &str) -> Result<bool> {
        tokens::is_live(&self.pool, id).await
    }

    async fn create_thread(&self, new: &NewThread) -> Result<Thread> {
        comments::create_thread(&self.pool, new).await
    }

    async fn threads(&self, doc_id: &str) -> Result<Vec<Thread>> {
        comments::threads(&self.pool, doc_id).await
    }

    async fn thread(&self, doc_id: &str, thread_id: &str) -> Result<Option<Thread>> {
        comments::thread(&self.pool, doc_id, thread_id).await
    }

    async fn add_comment(
        &self,
        doc_id: &str,
        thread_id: &str,
        author_id: &str,
        body: &str,
    ) -> Result<Option<Comment>> {
        comments::add_comment(&self.pool, doc_id, thread_id, author_id, body).await
    }

    async fn comment(
        &self,
        doc_id: &str,
        thread_id: &str,
        comment_id: &str,
    ) -> Result<Option<Comment>> {
        comments::comment(&self.pool, doc_id, thread_id, comment_id).await
    }

    async fn set_thread_resolved(
        &self,
        doc_id: &str,
        thread_id: &str,
        by: Option<&str>,
    ) -> Result<bool> {
        comments::set_resolved(&self.pool, doc_id, thread_id, by).await
    }

    async fn edit_comment(
        &self,
        doc_id: &str,
        thread_id: &str,
        comment_id: &str,
        body: &str,
    ) -> Result<bool> {
        comments::edit_comment(&self.pool, doc_id, thread_id, comment_id, body).await
    }

    async fn delete_comment(
        &self,
        doc_id: &str,
        thread_id: &str,
        comment_id: &str,
    ) -> Result<bool> {
        comments::delete_comment(&self.pool, doc_id, thread_id, comment_id).await
    }

    async fn delete_thread(&self, doc_id: &str, thread_id: &str) -> Result<bool> {
        comments::delete_thread(&self.pool, doc_id, thread_id).await
    }

    async fn notify(&self, items: &[NewNotification]) -> Result<()> {
        comments::notify(&self.pool, items).await
    }

    async fn notifications(
        &self,
        user_id: &str,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        comments::notifications(&self.pool, user_id, unread_only, limit).await
    }

    async fn mark_notifications_read(&self, user_id: &str, ids: Option<&[String]>) -> Result<()> {
        comments::mark_read(&self.pool, user_id, ids).await
    }

    async fn create_session(&self, id: &str, user_id: &str, expires_at: i64) -> Result<()> {
        sessions::create(&self.pool, id, user_id, expires_at).await
    }

    async fn session_is_live(&self, id: &str) -> Result<bool> {
        sessions::is_live(&self.pool, id).await
    }

    async fn revoke_session(&self, user_id: &str, id: &str) -> Result<bool> {
        sessions::revoke(&self.pool, user_id, id).await
    }

    async fn revoke_sessions(&self, user_id: &str) -> Result<Vec<String>> {
        sessions::revoke_all(&self.pool, user_id).await
    }

    async fn api_token_user(&self, hash: &str) -> Result<Option<AuthenticatedToken>> {
        tokens::authenticate(&self.pool, hash).await
    }

    async fn create_document(&self, new: NewDocument) -> Result<Document> {
        documents::create(&self.pool, new).await
    }

    async fn document_for(&self, id: &str, user_id: &str) -> Result<Option<Document>> {
        documents::get_for(&self.pool, id, user_id).await
    }

    async fn document_exists(&self, id: &str) -> Result<bool> {
        documents::exists(&self.pool, id).await
    }

    async fn owned_document_count(&self, user_id: &str) -> Result<i64> {
        documents::owned_count(&self.pool, user_id).await
    }

    async fn list_documents(&self, user_id: &str, q: &ListQuery) -> Result<Page<Document>> {
        documents::list(&self.read_pool, user_id, q).await
    }

    async fn patch_document(
        &self,
        id: &str,
        actor: &str,
        patch: &DocumentPatch,
    ) -> Result<PatchOutcome> {
        documents::patch(&self.pool, id, actor, patch).await
    }

    async fn delete_document(&self, id: &str, actor: &str) -> Result<bool> {
        documents::delete(&self.pool, id, actor).await
    }

    async fn publish_document(
        &self,
        id: &str,
        actor: Option<&str>,
        number: i64,
    ) -> Result<Option<Document>> {
        publishing::publish(&self.pool, id, actor, number).await
    }

    async fn unpublish_document(&self, id: &str, actor: Option<&str>) -> Result<Option<Document>> {
        publishing::unpublish(&self.pool, id, actor).await
    }

    async fn document_by_id(&self, id: &str) -> Result<Option<Document>> {
        let mut conn = self.pool.acquire().await?;
        publishing::get(&mut conn, id).await
    }

    async fn document_by_slug(&self, slug: &str) -> Result<Option<Document>> {
        publishing::by_slug(&self.pool, slug).await
    }

    async fn was_published(&self, id: &str, number: i64) -> Result<bool> {
        publishing::was_published(&self.pool, id, number).await
    }

    async fn due_schedules(&self, now: i64, limit: i64) -> Result<Vec<Schedule>> {
        publishing::due(&self.pool, now, limit).await
    }

    async fn lease_schedule(&self, id: &str, now: i64, until: i64) -> Result<bool> {
        publishing::lease(&self.pool, id, now, until).await
    }

    async fn delivery_list(
        &self,
        reader: Option<&str>,
        q: &DeliveryQuery,
    ) -> Result<Page<DeliveryItem>> {
        publishing::list(&self.pool, reader, q).await
    }

    async fn role_of(&self, doc_id: &str, user_id: &str) -> Result<Option<Role>> {
        members::role_of(&self.pool, doc_id, user_id).await
    }

    async fn members(&self, doc_id: &str) -> Result<Vec<Member>> {
        members::list(&self.pool, doc_id).await
    }

    async fn set_member(&self, doc_id: &str, user_id: &str, role: Role, actor: &str) -> Result<()> {
        members::set(&self.pool, doc_id, user_id, role, actor).await
    }

    async fn remove_member(&self, doc_id: &str, user_id: &str, actor: &str) -> Result<bool> {
        members::remove(&self.pool, doc_id, user_id, actor).await
    }

    async fn audit(
        &self,
        doc_id: &str,
        user_id: &str,
        action: &str,
        details: serde_json::Value,
    ) -> Result<()> {
        audit::append(&self.pool, doc_id, user_id, action, details).await
    }

    async fn audit_entries(&self, doc_id: &str, limit: i64) -> Result<Vec<AuditEntry>> {
        audit::entries(&self.pool, doc_id, limit).await
    }

    async fn activity(&self, doc_id: &str) -> Result<Vec<EditActivity>> {
        audit::activity(&self.pool, doc_id).await
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

    async fn pending_update_count(&self, doc_id: &str) -> Result<i64> {
        updates::pending_count(&self.pool, doc_id).await
    }

    async fn update_text(&self, doc_id: &str, text: &str) -> Result<()> {
        documents::set_text(&self.pool, doc_id, &searchable(text)).await
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

    async fn version(&self, doc_id: &str, number: i64) -> Result<Option<StoredVersion>> {
        versions::get(&self.pool, doc_id, number).await
    }

    async fn search(&self, user_id: &str, q: &SearchQuery) -> Result<Page<SearchHit>> {
        search::search(&self.read_pool, self.backend, user_id, q).await
    }
}

/// In-memory SQLite pools for the unit tests of this module's children.
#[cfg(test)]
pub(crate) mod test_pool {
    use super::*;

    /// A pool of one connection to a fresh in-memory database (each
    /// connection would see its own database).
    pub async fn empty() -> AnyPool {
        dialect::connect("sqlite::memory:", 1).await.unwrap().0
    }

    /// [`empty`] with the schema.
    pub async fn migrated() -> AnyPool {
        let pool = empty().await;
        dialect::migrate(&pool, Backend::Sqlite).await.unwrap();
        pool
    }
}
