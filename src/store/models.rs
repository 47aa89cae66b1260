//! Plain data types that cross the store boundary.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use utoipa::ToSchema;

/// A member's role on a document. Ordered by power: viewer < commenter <
/// editor < owner. Commenters read everything and comment; only editors
/// and owners change the body or the metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Commenter,
    Editor,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Commenter => "commenter",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }
    pub fn can_edit(self) -> bool {
        self >= Role::Editor
    }
    pub fn can_comment(self) -> bool {
        self >= Role::Commenter
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "commenter" => Ok(Role::Commenter),
            "editor" => Ok(Role::Editor),
            "owner" => Ok(Role::Owner),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Document workflow state: draft → review → published → archived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Review,
    Published,
    Archived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Review => "review",
            Status::Published => "published",
            Status::Archived => "archived",
        }
    }
}

impl FromStr for Status {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "draft" => Ok(Status::Draft),
            "review" => Ok(Status::Review),
            "published" => Ok(Status::Published),
            "archived" => Ok(Status::Archived),
            _ => Err(()),
        }
    }
}

/// Who may read a document's published revision: its members only, or
/// anyone (no credentials needed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Private,
    Public,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Public => "public",
        }
    }
}

impl FromStr for Visibility {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "private" => Ok(Visibility::Private),
            "public" => Ok(Visibility::Public),
            _ => Err(()),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub username: String,
    pub email: String,
    pub created_at: i64,
}

/// A user with the stored password hash (PHC string), for login.
#[derive(Clone, Debug)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
}

pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password_hash: String,
}

/// Document metadata as seen by one user. Serialized as is into webhook
/// events' outbox rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub tags: Vec<String>,
    pub owner_id: String,
    pub owner_username: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_edited_by: Option<String>,
    pub last_edited_by_username: Option<String>,
    pub last_edited_at: Option<i64>,
    /// Who made the last metadata change (title, status, tags), if anyone did.
    pub updated_by: Option<String>,
    pub updated_by_username: Option<String>,
    /// The viewing user's role (None when read without a user context).
    pub role: Option<Role>,
    /// The name in the delivery API and on the reader page.
    pub slug: Option<String>,
    pub visibility: Visibility,
    /// The version readers get, while published.
    pub published_version: Option<i64>,
    pub published_at: Option<i64>,
    /// Scheduled publish / unpublish (ms); cleared once fired.
    pub publish_at: Option<i64>,
    pub unpublish_at: Option<i64>,
}

/// An image uploaded to a document, without its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Media {
    pub id: String,
    pub document_id: String,
    pub content_type: String,
    pub bytes: i64,
    pub width: i64,
    pub height: i64,
    pub created_at: i64,
}

/// An image with its bytes, as served.
#[derive(Clone, Debug)]
pub struct StoredMedia {
    pub media: Media,
    pub data: Vec<u8>,
}

/// An upload to store; `sha256` (hex) deduplicates it within the document.
pub struct NewMedia {
    pub id: String,
    pub document_id: String,
    pub sha256: String,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
    pub data: Vec<u8>,
    pub uploaded_by: String,
    pub created_at: i64,
}

/// A document in its owner's trash, and since when.
#[derive(Clone, Debug)]
pub struct TrashedDocument {
    pub document: Document,
    pub deleted_at: i64,
}

pub struct NewDocument {
    pub title: String,
    pub status: Status,
    pub tags: Vec<String>,
    pub owner_id: String,
    /// First CRDT update (the initial body), if any.
    pub initial_update: Option<Vec<u8>>,
    /// Plain text of the initial body, for search.
    pub initial_text: String,
}

/// A metadata change. `None` leaves a field as it is; for the nullable
/// fields `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct DocumentPatch {
    pub title: Option<String>,
    pub status: Option<Status>,
    pub tags: Option<Vec<String>>,
    pub slug: Option<Option<String>>,
    pub visibility: Option<Visibility>,
    pub publish_at: Option<Option<i64>>,
    pub unpublish_at: Option<Option<i64>>,
    pub expected_version: i64,
}

/// A filter and page of the delivery API's list.
#[derive(Clone, Debug, Default)]
pub struct DeliveryQuery {
    pub tag: Option<String>,
    /// Words the title must contain (case-insensitive).
    pub title_contains: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// A document whose scheduled publish or unpublish is due.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub document_id: String,
    pub publish_at: Option<i64>,
    pub unpublish_at: Option<i64>,
}

/// A published document in the delivery API's list.
#[derive(Clone, Debug)]
pub struct DeliveryItem {
    pub slug: String,
    pub title: String,
    pub tags: Vec<String>,
    pub published_at: i64,
    /// The start of the published text.
    pub excerpt: String,
}

/// One page of a longer result, and how many results there are in all.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortField {
    UpdatedAt,
    CreatedAt,
    Title,
}

#[derive(Clone, Debug)]
pub struct ListQuery {
    pub status: Option<Status>,
    pub tag: Option<String>,
    /// Owner id or username.
    pub owner: Option<String>,
    /// Case-insensitive title substring.
    pub title_contains: Option<String>,
    pub sort: SortField,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            status: None,
            tag: None,
            owner: None,
            title_contains: None,
            sort: SortField::UpdatedAt,
            descending: true,
            limit: 50,
            offset: 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user_id: String,
    pub username: String,
    pub role: Role,
}

#[derive(Clone, Debug)]
pub struct AuditEntry {
    pub id: i64,
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub action: String,
    pub details: serde_json::Value,
    pub created_at: i64,
}

#[derive(Clone, Debug)]
pub struct EditActivity {
    pub user_id: String,
    pub username: Option<String>,
    pub edits: i64,
    pub first_at: i64,
    pub last_at: i64,
}

/// One CRDT update to append to a document's log.
#[derive(Clone, Debug)]
pub struct NewUpdate {
    pub document_id: String,
    pub data: Vec<u8>,
    pub user_id: Option<String>,
    pub created_at: i64,
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub id: i64,
    pub state: Vec<u8>,
    pub state_vector: Vec<u8>,
    pub checksum: String,
    pub last_update_id: i64,
}

#[derive(Clone, Debug)]
pub struct StoredUpdate {
    pub id: i64,
    pub data: Vec<u8>,
}

/// What loading a document reads: snapshots newest first, then the whole
/// log (ascending ids; compaction keeps it bounded).
#[derive(Clone, Debug, Default)]
pub struct StoredState {
    pub snapshots: Vec<Snapshot>,
    pub updates: Vec<StoredUpdate>,
}

pub struct NewSnapshot {
    pub document_id: String,
    pub state: Vec<u8>,
    pub state_vector: Vec<u8>,
    pub checksum: String,
    /// Highest update id merged into `state` (informational: on PostgreSQL
    /// a lower id can commit after a higher one, so ids decide nothing).
    pub last_update_id: i64,
    /// Log rows to delete in the same transaction: those the previous
    /// snapshot's state vector already covers.
    pub delete_update_ids: Vec<i64>,
}

/// A named version's metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    pub number: i64,
    pub label: String,
    pub created_by: Option<String>,
    pub created_by_username: Option<String>,
    pub created_at: i64,
    pub auto: bool,
}

/// A version with its content.
#[derive(Clone, Debug)]
pub struct StoredVersion {
    pub version: Version,
    /// Full CRDT state (v1 update).
    pub state: Vec<u8>,
    /// Plain text, as stored for search.
    pub text: String,
}

pub struct NewVersion {
    pub document_id: String,
    pub label: String,
    /// Full CRDT state (v1 update).
    pub state: Vec<u8>,
    /// Plain text, searchable.
    pub text: String,
    pub created_by: Option<String>,
    pub auto: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchScope {
    /// Titles and current content.
    Documents,
    /// Saved versions' labels and text.
    Versions,
}

#[derive(Clone, Debug)]
pub struct SearchQuery {
    /// Words to find (prefix match, all words required).
    pub words: Vec<String>,
    pub scope: SearchScope,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Clone, Debug)]
pub struct SearchHit {
    pub document: Document,
    /// Plain text with the matches between `\u{1}` and `\u{2}`.
    pub snippet: String,
    pub score: f64,
    /// For version hits: which version matched.
    pub version: Option<VersionLabel>,
}

/// A version's number and label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionLabel {
    pub number: i64,
    pub label: String,
}

/// A personal API token (the secret itself is never stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub read_only: bool,
    /// Reads the delivery API only (scope `delivery`).
    pub delivery_only: bool,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A live API token and the user it acts for.
#[derive(Clone, Debug)]
pub struct AuthenticatedToken {
    pub token: ApiToken,
    pub user: User,
}

/// A user as other records name them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRef {
    pub id: String,
    pub username: String,
}

/// One comment of a thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub id: String,
    pub thread_id: String,
    pub author: UserRef,
    pub body: String,
    pub created_at: i64,
    pub edited_at: Option<i64>,
}

/// A comment thread, anchored (two encoded relative positions, stored as
/// sent, and the quoted text) or about the whole document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thread {
    pub id: String,
    pub document_id: String,
    pub anchor: Option<(String, String)>,
    pub quote: Option<String>,
    pub created_by: UserRef,
    pub created_at: i64,
    pub resolved_by: Option<UserRef>,
    pub resolved_at: Option<i64>,
    /// Oldest first; the first one opened the thread.
    pub comments: Vec<Comment>,
}

#[derive(Clone, Debug)]
pub struct NewThread {
    pub document_id: String,
    pub anchor: Option<(String, String)>,
    pub quote: Option<String>,
    pub author_id: String,
    pub body: String,
}

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NotificationKind {
    Mention,
    Reply,
    Shared,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Mention => "mention",
            NotificationKind::Reply => "reply",
            NotificationKind::Shared => "shared",
        }
    }
}

impl FromStr for NotificationKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "mention" => Ok(NotificationKind::Mention),
            "reply" => Ok(NotificationKind::Reply),
            "shared" => Ok(NotificationKind::Shared),
            _ => Err(()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewNotification {
    pub user_id: String,
    pub kind: NotificationKind,
    pub document_id: String,
    pub thread_id: Option<String>,
    pub comment_id: Option<String>,
    pub actor_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: String,
    pub kind: NotificationKind,
    pub document_id: String,
    pub thread_id: Option<String>,
    pub comment_id: Option<String>,
    pub actor: UserRef,
    pub created_at: i64,
    pub read: bool,
}

// --- webhooks -------------------------------------------------------------

pub const EVENT_DOCUMENT_PUBLISHED: &str = "document.published";
pub const EVENT_DOCUMENT_UNPUBLISHED: &str = "document.unpublished";
pub const EVENT_DOCUMENT_UPDATED: &str = "document.updated";
pub const EVENT_VERSION_CREATED: &str = "version.created";
pub const EVENT_COMMENT_CREATED: &str = "comment.created";
/// Every event type a webhook may subscribe to.
pub const WEBHOOK_EVENTS: [&str; 5] = [
    EVENT_DOCUMENT_PUBLISHED,
    EVENT_DOCUMENT_UNPUBLISHED,
    EVENT_DOCUMENT_UPDATED,
    EVENT_VERSION_CREATED,
    EVENT_COMMENT_CREATED,
];

/// A user's webhook: where to send which events, and the signing secret.
#[derive(Clone, Debug)]
pub struct Webhook {
    pub id: String,
    pub user_id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub created_at: i64,
}

pub struct NewWebhook {
    pub user_id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
}

/// An event recorded with the change it reports, not yet turned into
/// deliveries. `subject` is what it is about besides the document: a
/// version number, or `thread_id/comment_id`.
#[derive(Clone, Debug)]
pub struct OutboxEvent {
    pub id: String,
    pub document_id: String,
    pub kind: String,
    pub subject: Option<String>,
    /// The document as the change left it (None if it could not be read back).
    pub document: Option<Document>,
    pub created_at: i64,
}

/// Where a delivery is: an attempt is due, it got a 2xx, or it was given up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(DeliveryStatus::Pending),
            "succeeded" => Some(DeliveryStatus::Succeeded),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// One event for one hook: the body every attempt sends, where to, and
/// how far it got.
#[derive(Clone, Debug)]
pub struct WebhookDelivery {
    pub id: String,
    pub webhook_id: String,
    pub event_id: String,
    pub kind: String,
    pub document_id: String,
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub expires_at: i64,
    pub created_at: i64,
    pub url: String,
    pub secret: String,
    /// The attempts made, oldest first (filled only for the delivery log).
    pub log: Vec<DeliveryAttempt>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub at: i64,
    /// The receiver's HTTP status, when it answered.
    pub response_status: Option<i64>,
    /// Why the attempt failed, when it did without an answer (or with a non-2xx one).
    pub error: Option<String>,
}
