//! The `Store` behaviour suite, run against SQLite and PostgreSQL alike.

mod common;

use std::sync::Arc;

use common::{Db, TestDatabase};
use quire::store::sql::SqlStore;
use quire::store::*;

async fn open(db: Db) -> (TestDatabase, Arc<dyn Store>) {
    let tdb = TestDatabase::create(db).await;
    let store = SqlStore::open(&tdb.url).await.expect("open store");
    (tdb, Arc::new(store))
}

macro_rules! store_suite {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let (_db, store) = super::open(super::Db::Sqlite).await;
                super::$name(&*store).await;
                store.close().await;
            }
            #[tokio::test]
            async fn postgres() {
                let (_db, store) = super::open(super::Db::Postgres).await;
                super::$name(&*store).await;
                store.close().await;
            }
        }
    };
}

async fn user(store: &dyn Store, name: &str) -> User {
    store
        .create_user(NewUser {
            username: name.into(),
            email: format!("{name}@x.org"),
            password_hash: "h".into(),
        })
        .await
        .unwrap()
}

async fn doc(store: &dyn Store, owner: &User, title: &str) -> Document {
    store
        .create_document(NewDocument {
            title: title.into(),
            status: Status::Draft,
            tags: vec!["t1".into()],
            owner_id: owner.id.clone(),
            initial_update: None,
            initial_text: String::new(),
        })
        .await
        .unwrap()
}

async fn users_and_uniqueness(store: &dyn Store) {
    let a = user(store, "Alice").await;
    assert!(matches!(
        store
            .create_user(NewUser {
                username: "alice".into(),
                email: "o@x.org".into(),
                password_hash: "h".into()
            })
            .await,
        Err(StoreError::Duplicate("username"))
    ));
    assert!(matches!(
        store
            .create_user(NewUser {
                username: "al2".into(),
                email: "ALICE@x.org".into(),
                password_hash: "h".into()
            })
            .await,
        Err(StoreError::Duplicate("email"))
    ));
    let found = store
        .user_credentials("alice@X.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.user.id.as_str(), found.password_hash.as_str()),
        (a.id.as_str(), "h")
    );
    assert_eq!(store.find_user("ALICE").await.unwrap().unwrap().id, a.id);
    assert_eq!(
        store.find_user(&a.id).await.unwrap().unwrap().username,
        "Alice"
    );
    assert_eq!(store.search_users("al", 10).await.unwrap().len(), 1);
    assert!(
        store.search_users("%", 10).await.unwrap().is_empty(),
        "LIKE wildcards are escaped"
    );
}
store_suite!(users_and_uniqueness);

async fn documents_members_and_locking(store: &dyn Store) {
    let a = user(store, "alice").await;
    let b = user(store, "bob").await;
    let d = doc(store, &a, "Plan").await;
    assert_eq!(d.version, 1);
    assert_eq!(d.role, Some(Role::Owner));
    assert!(
        store.document_for(&d.id, &b.id).await.unwrap().is_none(),
        "no access without membership"
    );
    store
        .set_member(&d.id, &b.id, Role::Editor, &a.id)
        .await
        .unwrap();
    assert_eq!(
        store.role_of(&d.id, &b.id).await.unwrap(),
        Some(Role::Editor)
    );
    let patch = DocumentPatch {
        title: Some("New".into()),
        tags: Some(vec!["x".into(), "y".into()]),
        expected_version: 1,
        ..Default::default()
    };
    let PatchOutcome::Updated(d2) = store.patch_document(&d.id, &b.id, &patch).await.unwrap()
    else {
        panic!("update")
    };
    assert_eq!(
        (d2.version, d2.title.as_str(), d2.tags.len()),
        (2, "New", 2)
    );
    let PatchOutcome::Conflict(cur) = store.patch_document(&d.id, &a.id, &patch).await.unwrap()
    else {
        panic!("conflict")
    };
    assert_eq!(cur.version, 2);
    let q = ListQuery {
        tag: Some("y".into()),
        ..Default::default()
    };
    assert_eq!(store.list_documents(&a.id, &q).await.unwrap().total, 1);
    let q = ListQuery {
        tag: Some("t1".into()),
        ..Default::default()
    };
    assert_eq!(
        store.list_documents(&a.id, &q).await.unwrap().total,
        0,
        "tags replaced"
    );
    let audit = store.audit_entries(&d.id, 10).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "document.update")
            .count(),
        1,
        "only the applied patch"
    );
    assert!(store.remove_member(&d.id, &b.id, &a.id).await.unwrap());
    assert!(
        store
            .members(&d.id)
            .await
            .unwrap()
            .iter()
            .all(|m| m.user_id != b.id)
    );
    assert!(store.delete_document(&d.id, &a.id).await.unwrap());
    assert!(!store.document_exists(&d.id).await.unwrap());
}
store_suite!(documents_members_and_locking);

async fn update_log_and_compaction(store: &dyn Store) {
    let a = user(store, "alice").await;
    let d = doc(store, &a, "Log").await;
    let batch: Vec<NewUpdate> = (0..2500)
        .map(|i| NewUpdate {
            document_id: d.id.clone(),
            data: vec![i as u8; 3],
            user_id: Some(a.id.clone()),
            created_at: 1000 + i,
        })
        .collect();
    assert_eq!(store.append_updates(&batch).await.unwrap(), 2500);
    let state = store.load_state(&d.id, 2).await.unwrap();
    assert_eq!(state.updates.len(), 2500);
    assert!(
        state.updates.windows(2).all(|w| w[0].id < w[1].id),
        "ids from a sequence, ascending"
    );
    assert_eq!(store.pending_update_count(&d.id).await.unwrap(), 2500);
    let meta = store.document_for(&d.id, &a.id).await.unwrap().unwrap();
    assert_eq!(meta.last_edited_by.as_deref(), Some(a.id.as_str()));
    assert_eq!(meta.last_edited_at, Some(1000 + 2499));
    let act = store.activity(&d.id).await.unwrap();
    assert_eq!(act[0].edits, 2500);
    let covered = state.updates[1999].id;
    // The caller names the rows to delete (those a previous snapshot covers).
    let delete: Vec<i64> = state.updates[..2000].iter().map(|u| u.id).collect();
    store
        .compact(
            &NewSnapshot {
                document_id: d.id.clone(),
                state: vec![9],
                state_vector: vec![0],
                checksum: "c1".into(),
                last_update_id: covered,
                delete_update_ids: delete,
            },
            "text one",
        )
        .await
        .unwrap();
    assert_eq!(
        store.load_state(&d.id, 1).await.unwrap().updates.len(),
        500,
        "the named rows are deleted, no others"
    );
    let last = state.updates[2499].id;
    let rest: Vec<i64> = state.updates[2000..].iter().map(|u| u.id).collect();
    for (i, c) in ["c2", "c3"].iter().enumerate() {
        store
            .compact(
                &NewSnapshot {
                    document_id: d.id.clone(),
                    state: vec![i as u8],
                    state_vector: vec![0],
                    checksum: c.to_string(),
                    last_update_id: last,
                    delete_update_ids: if i == 1 { rest.clone() } else { Vec::new() },
                },
                "",
            )
            .await
            .unwrap();
    }
    let state = store.load_state(&d.id, 5).await.unwrap();
    assert_eq!(state.snapshots.len(), 2, "two newest snapshots kept");
    assert_eq!(state.snapshots[0].checksum, "c3");
    assert!(state.updates.is_empty());
}
store_suite!(update_log_and_compaction);

async fn versions_and_search(store: &dyn Store) {
    let a = user(store, "alice").await;
    let b = user(store, "bob").await;
    let d = doc(store, &a, "Gardening").await;
    store.update_text(&d.id, "tomatoes need sun").await.unwrap();
    for (label, text) in [("one", "first text"), ("two", "tomatoes second")] {
        store
            .create_version(&NewVersion {
                document_id: d.id.clone(),
                label: label.into(),
                state: vec![1],
                text: text.into(),
                created_by: Some(a.id.clone()),
                auto: false,
            })
            .await
            .unwrap();
    }
    let vs = store.versions(&d.id).await.unwrap();
    assert_eq!(vs.iter().map(|v| v.number).collect::<Vec<_>>(), [2, 1]);
    let v1 = store.version(&d.id, 1).await.unwrap().unwrap();
    assert_eq!(
        (v1.version.label.as_str(), v1.state, v1.text.as_str()),
        ("one", vec![1], "first text")
    );
    let q = |w: &str, scope| SearchQuery {
        words: search::words(w),
        scope,
        limit: 10,
        offset: 0,
    };
    let Page { items: hits, total } = store
        .search(&a.id, &q("tomato", SearchScope::Documents))
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert!(hits[0].snippet.contains('\u{1}'), "{:?}", hits[0].snippet);
    assert_eq!(
        store
            .search(&b.id, &q("tomato", SearchScope::Documents))
            .await
            .unwrap()
            .total,
        0
    );
    let hits = store
        .search(&a.id, &q("tomatoes", SearchScope::Versions))
        .await
        .unwrap()
        .items;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].version.as_ref().map(|v| v.number), Some(2));
    assert_eq!(
        store
            .search(&a.id, &q("garden", SearchScope::Documents))
            .await
            .unwrap()
            .total,
        1,
        "title, prefix"
    );
}
store_suite!(versions_and_search);

async fn hostile_text(store: &dyn Store) {
    let a = user(store, "alice").await;
    let d = doc(store, &a, "Nul").await;
    // Text derived from content may hold NUL and the snippet delimiters:
    // the store drops them on every write (PostgreSQL text cannot hold NUL).
    store
        .update_text(&d.id, "a\u{0}b \u{1}fake\u{2} nulword")
        .await
        .unwrap();
    let v = store
        .create_version(&NewVersion {
            document_id: d.id.clone(),
            label: "l\u{0}abel".into(),
            state: vec![0, 0],
            text: "x\u{0}y \u{1}fake\u{2}".into(),
            created_by: Some(a.id.clone()),
            auto: false,
        })
        .await
        .unwrap();
    assert_eq!(v.label, "label");
    let stored = store.version(&d.id, v.number).await.unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.text.as_str()),
        (vec![0, 0], "xy fake")
    );
    store
        .compact(
            &NewSnapshot {
                document_id: d.id.clone(),
                state: vec![0, 0],
                state_vector: vec![0],
                checksum: "c".into(),
                last_update_id: 0,
                delete_update_ids: Vec::new(),
            },
            "after\u{0} compaction \u{2}",
        )
        .await
        .unwrap();
    let q = SearchQuery {
        words: search::words("compaction"),
        scope: SearchScope::Documents,
        limit: 10,
        offset: 0,
    };
    let hits = store.search(&a.id, &q).await.unwrap().items;
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].snippet.matches('\u{1}').count(),
        1,
        "{:?}",
        hits[0].snippet
    );
    // Lookups with NUL find nothing and do not fail.
    assert!(store.find_user("al\u{0}").await.unwrap().is_none());
    assert!(store.user_by_id("\u{0}").await.unwrap().is_none());
    assert!(
        store
            .user_credentials("alice\u{0}")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.document_for("\u{0}", &a.id).await.unwrap().is_none());
    assert!(!store.document_exists("\u{0}").await.unwrap());
    assert!(store.role_of(&d.id, "\u{0}").await.unwrap().is_none());
    assert!(!store.revoke_api_token(&a.id, "\u{0}").await.unwrap());
    let listed = store
        .list_documents(
            &a.id,
            &ListQuery {
                tag: Some("t\u{0}".into()),
                ..ListQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(listed.total, 0);
    // User search: prefix, case-insensitive, exact match first, limited.
    assert!(store.search_users("al\u{0}", 10).await.unwrap().is_empty());
    for name in ["alice2", "alic", "al01", "al02"] {
        user(store, name).await;
    }
    let names = |v: Vec<User>| v.into_iter().map(|u| u.username).collect::<Vec<_>>();
    assert_eq!(
        names(store.search_users("ALIC", 10).await.unwrap()),
        ["alic", "alice", "alice2"]
    );
    assert_eq!(
        names(store.search_users("alice", 10).await.unwrap()),
        ["alice", "alice2"]
    );
    assert_eq!(store.search_users("al", 2).await.unwrap().len(), 2);
    assert_eq!(store.search_users("", 100).await.unwrap().len(), 5);
    assert_eq!(store.owned_document_count(&a.id).await.unwrap(), 1);
}
store_suite!(hostile_text);

async fn version_room(store: &dyn Store) {
    let a = user(store, "alice").await;
    let d = doc(store, &a, "Quota").await;
    let save = |auto: bool| NewVersion {
        document_id: d.id.clone(),
        label: "v".into(),
        state: vec![0, 0],
        text: String::new(),
        created_by: None,
        auto,
    };
    let numbers = || async {
        store
            .versions(&d.id)
            .await
            .unwrap()
            .iter()
            .map(|v| v.number)
            .collect::<Vec<_>>()
    };
    store.create_version(&save(false)).await.unwrap();
    store.create_version(&save(true)).await.unwrap();
    store.make_room_for_version(&d.id, 3).await.unwrap();
    assert_eq!(numbers().await, [2, 1], "room left: nothing discarded");
    store.make_room_for_version(&d.id, 2).await.unwrap();
    assert_eq!(numbers().await, [1], "the automatic one is discarded");
    // Its number (2, the newest) is not reused.
    assert_eq!(store.create_version(&save(false)).await.unwrap().number, 3);
    assert!(matches!(
        store.make_room_for_version(&d.id, 2).await,
        Err(StoreError::QuotaExceeded(_))
    ));
    assert_eq!(numbers().await, [3, 1]);
    // 0 means unlimited.
    store.make_room_for_version(&d.id, 0).await.unwrap();
}
store_suite!(version_room);

/// Rows written before the store stripped the snippet delimiters are
/// cleaned by the migration, search indexes included.
async fn delimiters_cleaned_by_migration(db: Db) {
    let tdb = TestDatabase::create(db).await;
    let dir = match db {
        Db::Sqlite => "migrations/sqlite",
        Db::Postgres => "migrations/postgres",
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let old = SqlStore::connect(&tdb.url).await.expect("connect");
    let migrator = sqlx::migrate::Migrator::new(dir).await.expect("migrations");
    migrator.run_to(3, old.pool()).await.expect("migrate to 3");
    let a = user(&old, "alice").await;
    // Written with SQL of that schema: today's store reads columns that
    // later migrations add.
    let d_id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO documents (id, title, owner_id, created_at, updated_at) VALUES ($1, 'Old', $2, 0, 0)",
    )
    .bind(&d_id)
    .bind(&a.id)
    .execute(old.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO document_members (document_id, user_id, role, created_at) VALUES ($1, $2, 'owner', 0)",
    )
    .bind(&d_id)
    .bind(&a.id)
    .execute(old.pool())
    .await
    .unwrap();
    let marked = "\u{1}fake\u{2} real needle";
    sqlx::query("UPDATE documents SET content_text = $1 WHERE id = $2")
        .bind(marked)
        .bind(&d_id)
        .execute(old.pool())
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO document_versions (document_id, number, label, state, text, created_by, created_at, auto) \
         VALUES ($1, 1, 'v', $2, $3, NULL, 0, 0)",
    )
    .bind(&d_id)
    .bind(vec![0u8, 0])
    .bind(marked)
    .execute(old.pool())
    .await
    .unwrap();
    old.close().await;

    let store = SqlStore::open(&tdb.url).await.expect("migrate to latest");
    for scope in [SearchScope::Documents, SearchScope::Versions] {
        let q = SearchQuery {
            words: search::words("needle"),
            scope,
            limit: 10,
            offset: 0,
        };
        let hits = store.search(&a.id, &q).await.unwrap().items;
        assert_eq!(hits.len(), 1, "{scope:?}");
        let snippet = &hits[0].snippet;
        assert_eq!(
            snippet.matches('\u{1}').count(),
            1,
            "{scope:?}: {snippet:?}"
        );
        assert!(
            snippet.contains("\u{1}needle\u{2}"),
            "{scope:?}: {snippet:?}"
        );
        // The old text is still found by its words.
        let q = SearchQuery {
            words: search::words("fake"),
            scope,
            limit: 10,
            offset: 0,
        };
        assert_eq!(
            store.search(&a.id, &q).await.unwrap().items.len(),
            1,
            "{scope:?}"
        );
    }
    let text = store.version(&d_id, 1).await.unwrap().unwrap().text;
    assert_eq!(text, "fake real needle");
    // Numbering goes on after the migrated version.
    let v = store
        .create_version(&NewVersion {
            document_id: d_id.clone(),
            label: "next".into(),
            state: vec![0, 0],
            text: String::new(),
            created_by: None,
            auto: false,
        })
        .await
        .unwrap();
    assert_eq!(v.number, 2);
    store.close().await;
}

mod delimiters_migration {
    #[tokio::test]
    async fn sqlite() {
        super::delimiters_cleaned_by_migration(super::Db::Sqlite).await;
    }
    #[tokio::test]
    async fn postgres() {
        super::delimiters_cleaned_by_migration(super::Db::Postgres).await;
    }
}

/// Each uniqueness rule the store tells apart is recognised from what the
/// database reports (PostgreSQL: the constraint name; SQLite: the index
/// name or the column list).
async fn unique_violations_are_classified(db: Db) {
    use quire::store::sql::constraint::{Unique, Violated, unique_violation};

    let tdb = TestDatabase::create(db).await;
    let store = SqlStore::open(&tdb.url).await.expect("open store");
    let pool = store.pool();
    let violated = |r: Result<sqlx::any::AnyQueryResult, sqlx::Error>| {
        unique_violation(&r.expect_err("the insert must fail"))
    };
    let insert_user = |id: &'static str, name: &'static str, email: &'static str| {
        sqlx::query(
            "INSERT INTO users (id, username, email, password_hash, created_at) \
             VALUES ($1, $2, $3, 'h', 0)",
        )
        .bind(id)
        .bind(name)
        .bind(email)
        .execute(pool)
    };
    insert_user("u1", "alice", "a@x.org").await.unwrap();
    assert_eq!(
        violated(insert_user("u2", "ALICE", "b@x.org").await),
        Some(Violated::Known(Unique::Username))
    );
    assert_eq!(
        violated(insert_user("u3", "bob", "A@X.org").await),
        Some(Violated::Known(Unique::Email))
    );
    assert!(matches!(
        violated(insert_user("u1", "carol", "c@x.org").await),
        Some(Violated::Other(_))
    ));

    sqlx::query(
        "INSERT INTO documents (id, title, owner_id, created_at, updated_at) \
         VALUES ('d1', 'T', 'u1', 0, 0)",
    )
    .execute(pool)
    .await
    .unwrap();
    let insert_version = || {
        sqlx::query(
            "INSERT INTO document_versions (document_id, number, label, state, created_at) \
             VALUES ('d1', 1, 'v', $1, 0)",
        )
        .bind(vec![0u8])
        .execute(pool)
    };
    insert_version().await.unwrap();
    assert_eq!(
        violated(insert_version().await),
        Some(Violated::Known(Unique::VersionNumber))
    );

    let insert_token = |id: &'static str| {
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) \
             VALUES ($1, 'u1', 'n', 'hash', 0)",
        )
        .bind(id)
        .execute(pool)
    };
    insert_token("t1").await.unwrap();
    assert_eq!(
        violated(insert_token("t2").await),
        Some(Violated::Known(Unique::TokenHash))
    );
    store.close().await;
}

mod unique_violations {
    #[tokio::test]
    async fn sqlite() {
        super::unique_violations_are_classified(super::Db::Sqlite).await;
    }
    #[tokio::test]
    async fn postgres() {
        super::unique_violations_are_classified(super::Db::Postgres).await;
    }
}
