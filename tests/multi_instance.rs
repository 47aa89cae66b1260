//! Several instances on one PostgreSQL database with the Redis bus:
//! clients spread over three instances converge, also after Redis is
//! restarted mid-edit. Each test runs its own redis-server on a free port.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::redis::{Redis, free_port, settle};
use common::yclient::YClient;
use common::{Db, TestDatabase, TestServer};
use serde_json::json;

async fn three_instances(redis: &Redis) -> (Arc<TestDatabase>, Vec<TestServer>) {
    let db = Arc::new(TestDatabase::create(Db::Postgres).await);
    let mut servers = Vec::new();
    for name in ["a", "b", "c"] {
        let url = redis.url();
        servers.push(
            TestServer::start_on(db.clone(), move |c| {
                c.redis_url = Some(url);
                c.instance_id = Some(name.to_string());
            })
            .await,
        );
    }
    (db, servers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_on_three_instances_converge_across_a_redis_restart() {
    let mut redis = Redis::start(free_port());
    let (_db, servers) = three_instances(&redis).await;
    let alice = servers[0].user("alice").await;
    let doc = alice.create_doc("Spread").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut clients = Vec::new();
    for s in &servers {
        clients.push(YClient::connect(&s.base, &doc, &alice.token).await);
    }
    // Live fan-out across instances.
    for (i, c) in clients.iter_mut().enumerate() {
        c.append_text(&format!("[{i}:0]")).await;
    }
    let all_three = |c: &YClient| (0..3).all(|i| c.text().contains(&format!("[{i}:0]")));
    assert!(
        settle(&mut clients, all_three, Duration::from_secs(5)).await,
        "cross-instance relay"
    );

    // Redis goes away mid-edit; every instance keeps serving its own clients.
    redis.kill();
    for round in 1..=3 {
        for (i, c) in clients.iter_mut().enumerate() {
            c.append_text(&format!("[{i}:{round}]")).await;
        }
    }
    let own = |c: &YClient| {
        c.text().contains("[0:3]") || c.text().contains("[1:3]") || c.text().contains("[2:3]")
    };
    assert!(
        settle(&mut clients, own, Duration::from_secs(3)).await,
        "local edits still served"
    );
    // Redis is back on the same port: instances resynchronise.
    let _redis2 = Redis::start(redis.port);
    for (i, c) in clients.iter_mut().enumerate() {
        c.append_text(&format!("[{i}:4]")).await;
    }
    let everything =
        |c: &YClient| (0..3).all(|i| (0..=4).all(|r| c.text().contains(&format!("[{i}:{r}]"))));
    let converged = settle(&mut clients, everything, Duration::from_secs(40)).await;
    if !converged {
        let mut server_texts = Vec::new();
        for s in &servers {
            let t = s
                .state
                .hub
                .read(&doc, |d| {
                    use yrs::{GetString, Transact};
                    d.get_or_insert_text("t").get_string(&d.transact())
                })
                .await
                .unwrap();
            server_texts.push(t);
        }
        panic!(
            "not converged after the restart: clients {:?} servers {:?}",
            clients.iter().map(|c| c.text()).collect::<Vec<_>>(),
            server_texts
        );
    }
    let first = clients[0].text();
    assert!(
        clients.iter().all(|c| c.text() == first),
        "identical content"
    );
    // And the stored document has all of it (whichever instance persisted what).
    let (_, content) = alice
        .get(&format!("/api/documents/{doc}/content?format=json"))
        .await;
    let _ = content;
    let mut late = YClient::connect(&servers[2].base, &doc, &alice.token).await;
    assert!(
        late.until(Duration::from_secs(5), |c| c.text() == first)
            .await
    );
    for s in servers {
        s.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awareness_crosses_instances() {
    let redis = Redis::start(free_port());
    let (_db, servers) = three_instances(&redis).await;
    let alice = servers[0].user("alice").await;
    let bob = servers[1].user("bob").await;
    let doc = alice.create_doc("Presence").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    alice
        .put(
            &format!("/api/documents/{doc}/members/bob"),
            json!({ "role": "editor" }),
        )
        .await;
    let mut a = YClient::connect(&servers[0].base, &doc, &alice.token).await;
    let mut b = YClient::connect(&servers[1].base, &doc, &bob.token).await;
    let _ = a.until(Duration::from_millis(300), |_| false).await;
    let bid = b.id();
    b.set_awareness(bid, 1, r#"{"user":{"name":"mallory"}}"#)
        .await;
    assert!(
        a.until(Duration::from_secs(5), |c| c.awareness.contains_key(&bid))
            .await
    );
    let state: serde_json::Value = serde_json::from_str(&a.awareness[&bid].1).unwrap();
    assert_eq!(state["user"]["name"], "bob", "stamped by bob's instance");
    // Presence through instance c lists alice (on a) and bob (on b).
    let (_, presence) = alice.get(&format!("/api/documents/{doc}/presence")).await;
    let carol_view = common::Api {
        base: servers[2].base.clone(),
        ..alice.clone()
    };
    let (_, via_c) = carol_view
        .get(&format!("/api/documents/{doc}/presence"))
        .await;
    for p in [presence, via_c] {
        let names: Vec<&str> = p["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["alice", "bob"], "{p}");
    }
    drop(b);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (_, p) = alice.get(&format!("/api/documents/{doc}/presence")).await;
        if p["users"].as_array().unwrap().len() == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "bob still present: {p}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for s in servers {
        s.stop().await;
    }
}
