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
    let (u, hash) = store
        .user_credentials("alice@X.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((u.id.as_str(), hash.as_str()), (a.id.as_str(), "h"));
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
    assert_eq!(store.list_documents(&a.id, &q).await.unwrap().1, 1);
    let q = ListQuery {
        tag: Some("t1".into()),
        ..Default::default()
    };
    assert_eq!(
        store.list_documents(&a.id, &q).await.unwrap().1,
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
    let (v1, state, text) = store.version(&d.id, 1).await.unwrap().unwrap();
    assert_eq!(
        (v1.label.as_str(), state, text.as_str()),
        ("one", vec![1], "first text")
    );
    let q = |w: &str, scope| SearchQuery {
        words: search::words(w),
        scope,
        limit: 10,
        offset: 0,
    };
    let (hits, total) = store
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
            .1,
        0
    );
    let (hits, _) = store
        .search(&a.id, &q("tomatoes", SearchScope::Versions))
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].version.as_ref().map(|v| v.0), Some(2));
    assert_eq!(
        store
            .search(&a.id, &q("garden", SearchScope::Documents))
            .await
            .unwrap()
            .1,
        1,
        "title, prefix"
    );
}
store_suite!(versions_and_search);
