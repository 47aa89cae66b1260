//! Persistent storage: users, documents and their metadata, memberships, the
//! CRDT update log and snapshots, versions and the audit log.
//!
//! One [`Store`] trait; [`sql::SqlStore`] implements it for both embedded
//! SQLite and PostgreSQL over sqlx's `Any` driver (one SQL text for both),
//! with the few dialect differences isolated in [`dialect`]. The queries
//! live in [`sql`], one module per aggregate. The same behaviour suite
//! (`tests/store.rs`) runs against both backends.

pub mod doclog;
#[cfg(test)]
pub mod memory;
pub mod models;
pub mod sql;
pub mod text;

pub use sql::{dialect, search};

use async_trait::async_trait;

pub use dialect::Backend;
pub use models::*;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} already exists")]
    Duplicate(&'static str),
    #[error("unsupported database url: {0}")]
    UnsupportedUrl(String),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A quota is reached and nothing may be discarded to make room.
    #[error("{0}")]
    QuotaExceeded(String),
}

impl StoreError {
    /// The database could not be reached (down, restarting, pool exhausted)
    /// or, on SQLite, stayed locked by other writers past the busy timeout:
    /// a temporary condition, answered 503 rather than 500.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) if sql::constraint::is_busy(e) => true,
            // A deadlock victim that was not retried: try again shortly.
            StoreError::Database(e) if sql::constraint::is_conflict(e) => true,
            StoreError::Database(
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed,
            ) => true,
            // PostgreSQL connection exceptions (08…) and operator
            // intervention such as a shutdown in progress (57P…).
            StoreError::Database(sqlx::Error::Database(e)) => e
                .code()
                .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How many snapshots of a document compaction keeps: the newest, plus the
/// previous one to fall back on should the newest fail its checksum.
/// Loading with this many reads every snapshot there is.
pub const SNAPSHOTS_KEPT: i64 = 2;

/// Outcome of an optimistic-locking metadata update.
#[derive(Debug)]
pub enum PatchOutcome {
    Updated(Document),
    /// `expected_version` was stale; carries the current document.
    Conflict(Document),
    NotFound,
}

/// Webhooks: the hooks, the outbox written with each change, the
/// debounce state of `document.updated`, and the deliveries.
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    async fn create_webhook(&self, new: &NewWebhook) -> Result<Webhook>;
    /// The user's hooks, oldest first.
    async fn webhooks(&self, user_id: &str) -> Result<Vec<Webhook>>;
    async fn webhook(&self, user_id: &str, id: &str) -> Result<Option<Webhook>>;
    /// Deletes one of the user's hooks and its deliveries.
    async fn delete_webhook(&self, user_id: &str, id: &str) -> Result<bool>;
    async fn webhook_count(&self, user_id: &str) -> Result<i64>;
    /// Documents with a pending change made at or before `quiet_since`.
    async fn settled_changes(&self, quiet_since: i64, limit: i64) -> Result<Vec<String>>;
    /// Turns a settled change into a `document.updated` event, once across
    /// instances; false when another took it or the document changed again.
    async fn settle_change(&self, document_id: &str, quiet_since: i64) -> Result<bool>;
    /// The oldest events not yet turned into deliveries.
    async fn outbox(&self, limit: i64) -> Result<Vec<OutboxEvent>>;
    /// Claims an event and writes a delivery of `body` for each of the
    /// owner's hooks that wants it (`body` None drops it); false when
    /// another instance claimed it.
    async fn dispatch_event(
        &self,
        event: &OutboxEvent,
        owner_id: &str,
        body: Option<&str>,
        expires_at: i64,
    ) -> Result<bool>;
    /// Pending deliveries due at `now`, not leased.
    async fn due_deliveries(&self, now: i64, limit: i64) -> Result<Vec<WebhookDelivery>>;
    /// When the next pending delivery not leased at `now` is due.
    async fn next_delivery_at(&self, now: i64) -> Result<Option<i64>>;
    /// Leases a due delivery for one attempt; false when another holds it.
    async fn lease_delivery(&self, id: &str, now: i64, until: i64) -> Result<bool>;
    /// Records an attempt; `next` is when to retry (None: done, as `status` says).
    async fn finish_delivery(
        &self,
        id: &str,
        attempt: &DeliveryAttempt,
        status: DeliveryStatus,
        next: Option<i64>,
    ) -> Result<()>;
    /// The hook's newest deliveries with their attempts.
    async fn deliveries(&self, webhook_id: &str, limit: i64) -> Result<Vec<WebhookDelivery>>;
    /// Makes a delivery due again now (same event, new retry window).
    async fn redeliver(
        &self,
        webhook_id: &str,
        id: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<Option<WebhookDelivery>>;
    /// Forgets finished deliveries created before `before`.
    async fn prune_deliveries(&self, before: i64) -> Result<u64>;
}

/// The trash: documents deleted by their owner, kept (invisible to every
/// other read) until restored or purged.
#[async_trait]
pub trait TrashStore: Send + Sync + 'static {
    /// Moves a document to the trash; false when it is not there to move.
    async fn trash_document(&self, id: &str, actor: &str, now: i64) -> Result<bool>;
    /// Brings one of the owner's trashed documents back; false when the
    /// owner has no such document in the trash.
    async fn restore_document(&self, owner_id: &str, id: &str, now: i64) -> Result<bool>;
    /// The owner's trashed documents, most recently trashed first.
    async fn trashed_documents(&self, owner_id: &str) -> Result<Vec<TrashedDocument>>;
    async fn trashed_document(&self, owner_id: &str, id: &str) -> Result<Option<TrashedDocument>>;
    /// Deletes a trashed document for good (the owner's only, when given;
    /// trashed at or before `trashed_before`, when given). True for the one
    /// caller that did it.
    async fn purge_document(
        &self,
        id: &str,
        owner_id: Option<&str>,
        trashed_before: Option<i64>,
    ) -> Result<bool>;
    /// Documents trashed at or before `before`, oldest first.
    async fn expired_trash(&self, before: i64, limit: i64) -> Result<Vec<String>>;
}

/// Images uploaded to documents; they live and die with their document.
#[async_trait]
pub trait MediaStore: Send + Sync + 'static {
    /// Stores an upload, or finds the one with the same bytes already in
    /// the document (then `new.id` is unused). None when the document is
    /// gone.
    async fn put_media(&self, new: &NewMedia) -> Result<Option<Media>>;
    /// An image with its bytes; None when unknown or its document is in
    /// the trash.
    async fn media(&self, id: &str) -> Result<Option<StoredMedia>>;
}

#[async_trait]
pub trait Store: WebhookStore + TrashStore + MediaStore + Send + Sync + 'static {
    fn backend(&self) -> Backend;
    /// Cheap liveness check of the database (used by `/readyz`).
    async fn ping(&self) -> Result<()>;
    /// Closes the connection pool (shutdown; tests use it to simulate an outage).
    async fn close(&self);

    // --- users -----------------------------------------------------------
    async fn create_user(&self, new: NewUser) -> Result<User>;
    /// By username or e-mail, case-insensitive; includes the password hash.
    async fn user_credentials(&self, login: &str) -> Result<Option<UserCredentials>>;
    async fn user_by_id(&self, id: &str) -> Result<Option<User>>;
    /// By id or username.
    async fn find_user(&self, id_or_username: &str) -> Result<Option<User>>;
    /// Users whose name equals or starts with `prefix` (case-insensitive),
    /// the exact match first, then by name; at most `limit`.
    async fn search_users(&self, prefix: &str, limit: i64) -> Result<Vec<User>>;

    // --- personal API tokens ---------------------------------------------
    async fn create_api_token(
        &self,
        user_id: &str,
        name: &str,
        hash: &str,
        read_only: bool,
        delivery_only: bool,
        expires_at: Option<i64>,
    ) -> Result<ApiToken>;
    async fn api_tokens(&self, user_id: &str) -> Result<Vec<ApiToken>>;
    async fn revoke_api_token(&self, user_id: &str, id: &str) -> Result<bool>;
    /// True while the token with this id is neither revoked nor expired.
    async fn api_token_is_live(&self, id: &str) -> Result<bool>;
    /// The live token with this SHA-256 hash and its user (records the use).
    async fn api_token_user(&self, hash: &str) -> Result<Option<AuthenticatedToken>>;

    // --- sessions ----------------------------------------------------------
    /// Records a sign-in (`id` is the session JWT's `sid`), valid until
    /// `expires_at` (ms).
    async fn create_session(&self, id: &str, user_id: &str, expires_at: i64) -> Result<()>;
    /// True while the session is neither revoked nor expired.
    async fn session_is_live(&self, id: &str) -> Result<bool>;
    /// Revokes one session of `user_id`; false when it was not live.
    async fn revoke_session(&self, user_id: &str, id: &str) -> Result<bool>;
    /// Revokes every live session of `user_id`; returns their ids.
    async fn revoke_sessions(&self, user_id: &str) -> Result<Vec<String>>;

    // --- documents -------------------------------------------------------
    /// Creates the document, the owner's membership, the audit entry and, when
    /// given, the first CRDT update holding the initial body.
    async fn create_document(&self, new: NewDocument) -> Result<Document>;
    /// The document as seen by `user_id` (`role` filled), or None when the
    /// user has no access or it does not exist.
    async fn document_for(&self, id: &str, user_id: &str) -> Result<Option<Document>>;
    async fn document_exists(&self, id: &str) -> Result<bool>;
    /// The document without a viewer's role (background jobs).
    async fn document_by_id(&self, id: &str) -> Result<Option<Document>>;
    /// How many documents `user_id` owns (for the per-user quota).
    async fn owned_document_count(&self, user_id: &str) -> Result<i64>;
    /// One page of the documents `user_id` is a member of, and how many
    /// match in all.
    async fn list_documents(&self, user_id: &str, q: &ListQuery) -> Result<Page<Document>>;
    async fn patch_document(
        &self,
        id: &str,
        actor: &str,
        patch: &DocumentPatch,
    ) -> Result<PatchOutcome>;
    async fn delete_document(&self, id: &str, actor: &str) -> Result<bool>;
    async fn role_of(&self, doc_id: &str, user_id: &str) -> Result<Option<Role>>;
    async fn members(&self, doc_id: &str) -> Result<Vec<Member>>;
    async fn set_member(&self, doc_id: &str, user_id: &str, role: Role, actor: &str) -> Result<()>;
    async fn remove_member(&self, doc_id: &str, user_id: &str, actor: &str) -> Result<bool>;
    /// Appends an audit-log entry (server clock).
    async fn audit(
        &self,
        doc_id: &str,
        user_id: &str,
        action: &str,
        details: serde_json::Value,
    ) -> Result<()>;
    async fn audit_entries(&self, doc_id: &str, limit: i64) -> Result<Vec<AuditEntry>>;
    async fn activity(&self, doc_id: &str) -> Result<Vec<EditActivity>>;

    // --- publishing --------------------------------------------------------
    /// Makes version `number` the published revision (status `published`,
    /// a slug from the title when there is none). `actor` None is the
    /// scheduler firing `publish_at`, which is cleared with its lease in the
    /// same transaction. None when the document is gone.
    async fn publish_document(
        &self,
        id: &str,
        actor: Option<&str>,
        number: i64,
    ) -> Result<Option<Document>>;
    /// Takes the published revision down (status `draft`); `actor` None is
    /// the scheduler firing `unpublish_at` (cleared likewise).
    async fn unpublish_document(&self, id: &str, actor: Option<&str>) -> Result<Option<Document>>;
    /// The document with this slug, without a viewer's role.
    async fn document_by_slug(&self, slug: &str) -> Result<Option<Document>>;
    /// Whether version `number` was ever the document's published one.
    async fn was_published(&self, id: &str, number: i64) -> Result<bool>;
    /// Documents with a due publish or unpublish and a free lease.
    async fn due_schedules(&self, now: i64, limit: i64) -> Result<Vec<Schedule>>;
    /// Takes the lease on a due schedule until `until`: true for one caller.
    async fn lease_schedule(&self, id: &str, now: i64, until: i64) -> Result<bool>;
    /// Published documents `reader` may read (public, or member of).
    async fn delivery_list(
        &self,
        reader: Option<&str>,
        q: &DeliveryQuery,
    ) -> Result<Page<DeliveryItem>>;

    // --- comments and notifications ---------------------------------------
    /// Opens a thread with its first comment.
    async fn create_thread(&self, new: &NewThread) -> Result<Thread>;
    /// Every thread of the document with its comments, oldest first.
    async fn threads(&self, doc_id: &str) -> Result<Vec<Thread>>;
    async fn thread(&self, doc_id: &str, thread_id: &str) -> Result<Option<Thread>>;
    /// A reply; None when the thread is not the document's.
    async fn add_comment(
        &self,
        doc_id: &str,
        thread_id: &str,
        author_id: &str,
        body: &str,
    ) -> Result<Option<Comment>>;
    async fn comment(
        &self,
        doc_id: &str,
        thread_id: &str,
        comment_id: &str,
    ) -> Result<Option<Comment>>;
    /// Resolves (by `by`) or reopens (None) a thread; false when absent.
    async fn set_thread_resolved(
        &self,
        doc_id: &str,
        thread_id: &str,
        by: Option<&str>,
    ) -> Result<bool>;
    async fn edit_comment(
        &self,
        doc_id: &str,
        thread_id: &str,
        comment_id: &str,
        body: &str,
    ) -> Result<bool>;
    async fn delete_comment(&self, doc_id: &str, thread_id: &str, comment_id: &str)
    -> Result<bool>;
    async fn delete_thread(&self, doc_id: &str, thread_id: &str) -> Result<bool>;
    async fn notify(&self, items: &[NewNotification]) -> Result<()>;
    /// Newest first, at most `limit`.
    async fn notifications(
        &self,
        user_id: &str,
        unread_only: bool,
        limit: i64,
    ) -> Result<Vec<Notification>>;
    /// Marks `ids` (every one when None) of the user's notifications read.
    async fn mark_notifications_read(&self, user_id: &str, ids: Option<&[String]>) -> Result<()>;

    // --- CRDT persistence ------------------------------------------------
    /// Appends a batch of updates in one transaction (group commit) and
    /// records edit activity and the last editor. Returns how many.
    async fn append_updates(&self, batch: &[NewUpdate]) -> Result<u64>;
    /// Latest snapshots (newest first, at most `max_snapshots`) and every
    /// update after the oldest of them.
    async fn load_state(&self, doc_id: &str, max_snapshots: i64) -> Result<StoredState>;
    /// Writes a snapshot and deletes the updates it covers, in one
    /// transaction; keeps the [`SNAPSHOTS_KEPT`] newest snapshots. Also
    /// refreshes the searchable text.
    async fn compact(&self, snap: &NewSnapshot, text: &str) -> Result<()>;
    /// Number of logged updates not yet covered by a snapshot.
    async fn pending_update_count(&self, doc_id: &str) -> Result<i64>;
    /// Refreshes the searchable text of the current content.
    async fn update_text(&self, doc_id: &str, text: &str) -> Result<()>;

    // --- versions and search ---------------------------------------------
    async fn create_version(&self, new: &NewVersion) -> Result<Version>;
    /// Before saving a version of a document that already holds `max` or
    /// more: discards the oldest automatic versions until one more fits, or
    /// fails with [`StoreError::QuotaExceeded`] when there are not enough
    /// automatic ones (nothing is discarded then). Version numbers are never
    /// reused after a discard.
    async fn make_room_for_version(&self, doc_id: &str, max: i64) -> Result<()>;
    /// Newest first, without states.
    async fn versions(&self, doc_id: &str) -> Result<Vec<Version>>;
    /// A version with its state and text.
    async fn version(&self, doc_id: &str, number: i64) -> Result<Option<StoredVersion>>;
    /// One page of hits among the documents `user_id` is a member of, and
    /// how many match in all.
    async fn search(&self, user_id: &str, q: &SearchQuery) -> Result<Page<SearchHit>>;
}
