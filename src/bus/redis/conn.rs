//! The bus's Redis connections: one server, or a Redis Cluster when one
//! Redis is not enough for the fan-out traffic.
//!
//! `REDIS_URL` is one URL or a comma-separated list of seed nodes. The first
//! reachable seed is asked `INFO cluster`; when cluster mode is on, the bus
//! uses a cluster client and sharded pub/sub (`SPUBLISH`/`SSUBSCRIBE`), so
//! each document's channel lives on the shard that owns its slot and fan-out
//! spreads over the shards by document. Both kinds reconnect and resubscribe
//! by themselves (RESP3 push).

use std::time::Duration;

use redis::aio::{AsyncPushSender, ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, ProtocolVersion, RedisFuture, RedisResult, Value};

use crate::bus::BusError;

const TIMEOUT: Duration = Duration::from_secs(2);

/// A connection to a single Redis or to a Redis Cluster.
#[derive(Clone)]
pub enum RedisConn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

impl RedisConn {
    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }

    /// `PUBLISH`, or `SPUBLISH` on a cluster.
    pub async fn publish(&mut self, channel: &str, payload: &[u8]) -> RedisResult<()> {
        let verb = if self.is_cluster() {
            "SPUBLISH"
        } else {
            "PUBLISH"
        };
        redis::cmd(verb)
            .arg(channel)
            .arg(payload)
            .query_async::<i64>(self)
            .await
            .map(drop)
    }

    /// `SUBSCRIBE`, or `SSUBSCRIBE` on a cluster (messages arrive as pushes).
    pub async fn subscribe(&mut self, channel: &str) -> RedisResult<()> {
        match self {
            Self::Single(c) => c.subscribe(channel).await,
            Self::Cluster(c) => c.ssubscribe(channel).await,
        }
    }

    /// `UNSUBSCRIBE`, or `SUNSUBSCRIBE` on a cluster.
    pub async fn unsubscribe(&mut self, channel: &str) -> RedisResult<()> {
        match self {
            Self::Single(c) => c.unsubscribe(channel).await,
            Self::Cluster(c) => c.sunsubscribe(channel).await,
        }
    }
}

/// The bus's two connections: `sub` receives pushes (subscriptions), `cmd`
/// publishes and keeps presence.
pub struct Connections {
    pub sub: RedisConn,
    pub cmd: RedisConn,
}

fn unavailable(e: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(e.to_string())
}

/// Pushes (subscribed messages, disconnections) need RESP3.
fn with_resp3(url: &str) -> String {
    if url.contains("protocol=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&protocol=resp3")
    } else {
        format!("{url}?protocol=resp3")
    }
}

/// Connects to `url` (one URL or comma-separated seeds), detecting cluster
/// mode; pushes go to `push`.
pub async fn connect(
    url: &str,
    push: impl AsyncPushSender + Clone,
) -> Result<Connections, BusError> {
    let seeds: Vec<String> = url
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(with_resp3)
        .collect();
    let first = seeds
        .first()
        .ok_or_else(|| unavailable("REDIS_URL is empty"))?;
    if cluster_enabled(first).await? {
        connect_cluster(&seeds, push).await
    } else if seeds.len() > 1 {
        Err(unavailable(
            "several Redis URLs given, but the first is not a cluster node",
        ))
    } else {
        connect_single(first, push).await
    }
}

async fn cluster_enabled(url: &str) -> Result<bool, BusError> {
    let client = redis::Client::open(url).map_err(unavailable)?;
    let probe = async {
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("INFO")
            .arg("cluster")
            .query_async::<String>(&mut conn)
            .await
    };
    let info = tokio::time::timeout(TIMEOUT, probe)
        .await
        .map_err(|_| unavailable("timed out"))?
        .map_err(unavailable)?;
    Ok(info.lines().any(|l| l.trim() == "cluster_enabled:1"))
}

async fn connect_single(
    url: &str,
    push: impl AsyncPushSender + Clone,
) -> Result<Connections, BusError> {
    let client = redis::Client::open(url).map_err(unavailable)?;
    let sub_config = ConnectionManagerConfig::new()
        .set_push_sender(push)
        .set_automatic_resubscription()
        .set_connection_timeout(Some(TIMEOUT))
        .set_number_of_retries(usize::MAX);
    let sub = client
        .get_connection_manager_with_config(sub_config)
        .await
        .map_err(unavailable)?;
    let cmd_config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT));
    let cmd = client
        .get_connection_manager_with_config(cmd_config)
        .await
        .map_err(unavailable)?;
    Ok(Connections {
        sub: RedisConn::Single(sub),
        cmd: RedisConn::Single(cmd),
    })
}

async fn connect_cluster(
    seeds: &[String],
    push: impl AsyncPushSender + Clone,
) -> Result<Connections, BusError> {
    let builder = || {
        ClusterClientBuilder::new(seeds.to_vec())
            .use_protocol(ProtocolVersion::RESP3)
            .connection_timeout(TIMEOUT)
            .response_timeout(TIMEOUT)
    };
    let sub = builder()
        .push_sender(push)
        .build()
        .map_err(unavailable)?
        .get_async_connection()
        .await
        .map_err(unavailable)?;
    let cmd = builder()
        .build()
        .map_err(unavailable)?
        .get_async_connection()
        .await
        .map_err(unavailable)?;
    tracing::info!(
        seeds = seeds.len(),
        "Redis Cluster detected: sharded pub/sub per document"
    );
    Ok(Connections {
        sub: RedisConn::Cluster(sub),
        cmd: RedisConn::Cluster(cmd),
    })
}
