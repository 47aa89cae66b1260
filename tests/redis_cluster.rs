//! `REDIS_URL` naming a Redis Cluster (for fan-out beyond one Redis): the bus
//! detects cluster mode, uses sharded pub/sub (`SSUBSCRIBE`/`SPUBLISH`) per
//! document, and clients on two instances converge. The test runs its own
//! three-node cluster on free ports.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::redis::{RedisCluster, settle};
use common::yclient::YClient;
use common::{Db, TestDatabase, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_fan_out_over_sharded_pubsub_on_a_cluster() {
    let cluster = RedisCluster::start(3);
    let db = Arc::new(TestDatabase::create(Db::Postgres).await);
    let mut servers = Vec::new();
    for name in ["a", "b"] {
        let url = cluster.url();
        servers.push(
            TestServer::start_on(db.clone(), move |c| {
                c.redis_url = Some(url);
                c.instance_id = Some(name.to_string());
            })
            .await,
        );
    }
    let alice = servers[0].user("alice").await;
    let mut docs = Vec::new();
    for i in 0..4 {
        let doc = alice.create_doc(&format!("Sharded {i}")).await;
        docs.push(doc["id"].as_str().unwrap().to_string());
    }

    let mut clients = Vec::new();
    for doc in &docs {
        for s in &servers {
            clients.push(YClient::connect(&s.base, doc, &alice.token).await);
        }
    }
    for (i, c) in clients.iter_mut().enumerate() {
        c.append_text(&format!("[{i}]")).await;
    }
    // Clients 2k and 2k+1 share document k, on instances a and b.
    let mut pairs: Vec<&mut [YClient]> = clients.chunks_mut(2).collect();
    for (k, pair) in pairs.iter_mut().enumerate() {
        let (x, y) = (2 * k, 2 * k + 1);
        let both = |c: &YClient| {
            c.text().contains(&format!("[{x}]")) && c.text().contains(&format!("[{y}]"))
        };
        assert!(
            settle(pair, both, Duration::from_secs(10)).await,
            "document {k} did not converge across instances: {:?}",
            pair.iter().map(|c| c.text()).collect::<Vec<_>>()
        );
        assert_eq!(pair[0].text(), pair[1].text());
    }

    // The channels are shard channels, not classic pub/sub ones.
    let shard = cluster.pubsub("shardchannels");
    let classic = cluster.pubsub("channels");
    for doc in &docs {
        let ch = format!("doc:{doc}:updates");
        assert!(
            shard.contains(&ch),
            "{ch} not among shard channels {shard:?}"
        );
        assert!(!classic.contains(&ch), "{ch} subscribed without sharding");
    }
    drop(clients);
    for s in servers {
        s.stop().await;
    }
}
