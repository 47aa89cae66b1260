//! Cold load: build a document from N single-character edits (sent one
//! update per edit, as typing would), then time joining clients: step 1 →
//! step 2 while the room is live (first join after the last edit encodes
//! the state, later ones get the cached frame), and again after the room
//! was evicted from memory (loaded from the database).

use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use yrs::{Text, Transact, WriteTxn, XmlFragment};

use super::LoadtestArgs;
use super::client::{self, Frame};
use super::http::{Http, Metrics};
use super::report::{self, Table};
use crate::metric_names as names;

/// Updates sent and not yet echoed back, at most.
const IN_FLIGHT: u64 = 256;

#[derive(Serialize, Debug, Default)]
pub struct Join {
    pub connect_ms: f64,
    pub step1_to_step2_ms: f64,
    pub state_bytes: usize,
}

#[derive(Serialize, Debug, Default)]
pub struct ColdReport {
    pub mode: &'static str,
    pub edits: usize,
    pub build_secs: f64,
    pub build_edits_per_s: f64,
    pub persist_wait_secs: f64,
    pub live_first_join: Join,
    pub live_cached_joins_ms: Vec<f64>,
    pub evicted: bool,
    pub evict_wait_secs: f64,
    pub cold_join: Join,
    pub server_load_ms: Option<f64>,
    pub after_load_cached_joins_ms: Vec<f64>,
    pub errors: u64,
}

pub async fn run(args: &LoadtestArgs, http: &Http, edits: usize) -> anyhow::Result<()> {
    let fixture = super::prepare(args, http, 1, 1).await?;
    let doc = fixture.docs[0].clone();
    let token = fixture.users[0].token.clone();
    let mut out = ColdReport {
        mode: "cold-load",
        edits,
        ..Default::default()
    };
    let m0 = http.metrics().await?;
    let persisted0 = m0.get(names::PERSISTED_UPDATES);

    // Build.
    let mut ws = client::connect(http.addr, &client::doc_path(None, &doc, &token)).await?;
    client::sync(&mut ws, Duration::from_secs(30)).await?;
    let started = Instant::now();
    build(args, &mut ws, edits).await?;
    out.build_secs = started.elapsed().as_secs_f64();
    out.build_edits_per_s = edits as f64 / out.build_secs;

    // Wait until the server has persisted every edit.
    let t = Instant::now();
    loop {
        let m = http.metrics().await?;
        if m.get(names::PERSISTED_UPDATES) - persisted0 >= edits as f64 {
            break;
        }
        if t.elapsed() > Duration::from_secs(300) {
            bail!("edits not persisted after 300 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    out.persist_wait_secs = t.elapsed().as_secs_f64();

    // Joins while the room is live.
    out.live_first_join = join(http, &doc, &token).await?;
    for _ in 0..5 {
        out.live_cached_joins_ms
            .push(join(http, &doc, &token).await?.step1_to_step2_ms);
    }

    // Leave, wait for eviction (compaction + idle tick), join cold.
    let rooms_with = http.metrics().await?.get(names::ROOMS_ACTIVE);
    let _ = ws.close(None).await;
    drop(ws);
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if http.metrics().await?.get(names::ROOMS_ACTIVE) < rooms_with {
            out.evicted = true;
            break;
        }
    }
    out.evict_wait_secs = t.elapsed().as_secs_f64();
    let before: Metrics = http.metrics().await?;
    out.cold_join = join(http, &doc, &token).await?;
    let after = http.metrics().await?;
    let loads = after.get(names::ROOM_LOADS) - before.get(names::ROOM_LOADS);
    if loads >= 1.0 {
        out.server_load_ms = Some(
            (after.get(names::ROOM_LOAD_SECONDS_SUM) - before.get(names::ROOM_LOAD_SECONDS_SUM))
                / loads
                * 1000.0,
        );
    }
    // Keep the room open while measuring the joins after the load.
    let mut holder = client::connect(http.addr, &client::doc_path(None, &doc, &token)).await?;
    client::sync(&mut holder, Duration::from_secs(30)).await?;
    for _ in 0..5 {
        out.after_load_cached_joins_ms
            .push(join(http, &doc, &token).await?.step1_to_step2_ms);
    }
    let _ = holder.close(None).await;

    print_table(&out);
    if args.json {
        report::print_json(&out);
    }
    Ok(())
}

/// A typing trace: runs of characters at a cursor that jumps now and then,
/// with ~10 % backspaces; each edit is its own update.
async fn build(args: &LoadtestArgs, ws: &mut client::Ws, edits: usize) -> anyhow::Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let local = yrs::Doc::with_options(yrs::Options {
        client_id: yrs::block::ClientID::new(u64::from(rand::random::<u32>()) + 1),
        offset_kind: yrs::OffsetKind::Utf16,
        ..Default::default()
    });
    let text = {
        let mut txn = local.transact_mut();
        let frag = txn.get_or_insert_xml_fragment("default");
        let p = frag.insert(&mut txn, 0, yrs::XmlElementPrelim::empty("paragraph"));
        let t = p.insert(&mut txn, 0, yrs::XmlTextPrelim::new(""));
        let update = txn.encode_update_v1();
        drop(txn);
        ws.send(Message::Binary(
            quire_doc::protocol::encode_update(&update).into(),
        ))
        .await?;
        t
    };
    let (mut len, mut cursor) = (0u32, 0u32);
    let (mut sent, mut echoed) = (1u64, 0u64);
    let bar = report::progress(
        args.quiet,
        edits as u64,
        "building {bar:40} {pos}/{len} {per_sec} eta {eta}",
    );
    let mut i = 0;
    while i < edits || echoed < sent {
        if i < edits && sent - echoed < IN_FLIGHT {
            if rng.random_ratio(1, 40) {
                cursor = rng.random_range(0..=len);
            }
            let update = {
                let mut txn = local.transact_mut();
                if cursor > 0 && rng.random_ratio(1, 10) {
                    text.remove_range(&mut txn, cursor - 1, 1);
                    cursor -= 1;
                    len -= 1;
                } else {
                    let c = if rng.random_ratio(1, 6) {
                        ' '
                    } else {
                        (b'a' + rng.random_range(0..26u8)) as char
                    };
                    text.insert(&mut txn, cursor, c.encode_utf8(&mut [0; 4]));
                    cursor += 1;
                    len += 1;
                }
                txn.encode_update_v1()
            };
            ws.feed(Message::Binary(
                quire_doc::protocol::encode_update(&update).into(),
            ))
            .await?;
            sent += 1;
            i += 1;
            if i % 64 == 0 {
                ws.flush().await?;
                bar.set_position(i as u64);
            }
            continue;
        }
        ws.flush().await?;
        let msg = tokio::time::timeout(Duration::from_secs(60), ws.next())
            .await
            .context("no echo from the server for 60 s")?;
        match msg {
            Some(Ok(Message::Binary(b))) => {
                if let Frame::Update { .. } = client::parse(&b) {
                    echoed += 1;
                }
            }
            Some(Ok(Message::Close(f))) => bail!("server closed the builder: {f:?}"),
            Some(Ok(_)) => {}
            Some(Err(e)) => bail!("builder socket: {e}"),
            None => bail!("builder socket closed"),
        }
    }
    bar.finish_and_clear();
    Ok(())
}

/// A fresh client joins: returns connect time and step 1 → step 2 time.
async fn join(http: &Http, doc: &str, token: &str) -> anyhow::Result<Join> {
    let t0 = Instant::now();
    let mut ws = client::connect(http.addr, &client::doc_path(None, doc, token)).await?;
    let connect_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let t1 = Instant::now();
    let state_bytes = client::sync(&mut ws, Duration::from_secs(60)).await?;
    let step1_to_step2_ms = t1.elapsed().as_secs_f64() * 1000.0;
    let _ = ws.close(None).await;
    Ok(Join {
        connect_ms,
        step1_to_step2_ms,
        state_bytes,
    })
}

fn print_table(r: &ColdReport) {
    let ms = |v: f64| format!("{v:.2} ms");
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
            + " ms"
    };
    let mut t = Table::new(format!(
        "cold load: document of {} single-character edits",
        r.edits
    ));
    t.row(
        "build",
        format!("{:.1} s ({:.0} edits/s)", r.build_secs, r.build_edits_per_s),
    )
    .row(
        "wait until persisted",
        format!("{:.1} s", r.persist_wait_secs),
    )
    .row(
        "encoded state",
        format!("{} bytes", r.live_first_join.state_bytes),
    )
    .row(
        "live: first join step1→step2",
        ms(r.live_first_join.step1_to_step2_ms),
    )
    .row("live: cached joins", list(&r.live_cached_joins_ms))
    .row(
        "evicted from memory",
        format!("{} (after {:.1} s)", r.evicted, r.evict_wait_secs),
    )
    .row("cold: upgrade", ms(r.cold_join.connect_ms))
    .row("cold: step1→step2", ms(r.cold_join.step1_to_step2_ms))
    .row(
        "cold: server load (metric)",
        r.server_load_ms.map_or("n/a".into(), ms),
    )
    .row("after load: joins", list(&r.after_load_cached_joins_ms));
    t.print();
}
