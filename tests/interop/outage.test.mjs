// A PostgreSQL outage under a running `quire serve`, with stock y-websocket
// clients typing throughout. The database is a private cluster (initdb in a
// temp dir, its own port) so that it can be stopped with
// `pg_ctl stop -m immediate` and started again.
//
// 1. During a 10 s outage `/readyz` answers 503 quickly every time (from the
//    last probe, not by waiting on the dead database), editing goes on in
//    memory, and once the database is back every update is written: after
//    a SIGKILL and restart a fresh client has every token.
// 2. With a small `MAX_UNSAVED_UPDATES` the typing client is refused with
//    close 1013 once the backlog is full; it keeps its edits, reconnects, and
//    after the outage everything it typed is stored.
// 3. SIGTERM during the outage: the process exits once SHUTDOWN_GRACE_SECS
//    is over, the client gets 1012 and resends its edits after the restart.

import assert from 'node:assert/strict'
import { scenario, synced } from './lib/harness.mjs'
import { QuireServer, sleep, waitFor } from './lib/server.mjs'
import { PgCluster, readyz, typist, docText } from './lib/faults.mjs'

const OUTAGE_MS = 10_000
const READYZ_BUDGET_MS = 200

process.setMaxListeners(100)

/** A QuireServer on `db`, registered for log tails and cleanup. */
async function instance (s, db, secret, env = {}) {
  const server = new QuireServer(db, { env })
  server.jwtSecret = secret
  s.servers.push(server)
  s.defer(async () => {
    try {
      await server.stop({ grace: 10_000 })
    } catch {
      await server.kill9()
    }
  })
  await server.start()
  return server
}

/** Waits until `observer` holds every token the typist typed, and the server has nothing unsaved. */
async function settled (server, observer, typed) {
  await waitFor(() => {
    const text = docText(observer.doc)
    return typed.every((tok) => text.includes(tok))
  }, { timeout: 20_000, what: 'the observer to receive every typed token' }).catch((e) => {
    const text = docText(observer.doc)
    e.message += ` (${typed.filter((tok) => !text.includes(tok)).length} of ${typed.length} missing)`
    throw e
  })
  return waitFor(async () => {
    const r = await readyz(server)
    return r.status === 200 && r.json?.unsaved_updates === 0 && r
  }, { timeout: 30_000, interval: 100, what: '/readyz to report ready with nothing unsaved' })
}

/** SIGKILL (nothing flushed at exit), restart, and a fresh client must hold every token. */
async function assertStored (s, server, id, user, typed, what) {
  await server.kill9()
  await server.start()
  const fresh = s.client(server, id, user)
  await synced(fresh, 20_000)
  const text = docText(fresh.doc)
  fresh.provider.destroy()
  const missing = typed.filter((tok) => !text.includes(tok))
  assert.deepEqual(missing, [], `${what}: ${missing.length} of ${typed.length} tokens lost`)
  const rest = await server.content(user, id, 'text')
  assert.deepEqual(typed.filter((tok) => !rest.includes(tok)), [], `${what}: tokens missing in GET content`)
}

scenario('PostgreSQL outage: /readyz says 503 at once, editing goes on, and every edit is stored afterwards', { timeout: 150_000 }, async (s, t) => {
  const pg = await PgCluster.create(s)
  const db = pg.database('quire')
  const secret = 'outage-secret-' + Date.now()
  let server = await instance(s, db, secret)
  const alice = await server.user('alice')
  const { id } = await server.createDocument(alice)

  // ---- 1: default limits, a 10 s outage --------------------------------
  const writer = s.client(server, id, alice)
  const observer = s.client(server, id, alice)
  await Promise.all([synced(writer), synced(observer)])
  const w = typist(writer, 'w', { scope: s })
  w.start()
  await sleep(2000)
  assert.equal((await readyz(server)).status, 200, '/readyz before the outage')

  await pg.stop()
  const down = performance.now()
  const probes = []
  while (performance.now() - down < OUTAGE_MS) {
    const r = await readyz(server)
    probes.push({ at: Math.round(performance.now() - down), status: r.status, ms: Math.round(r.ms) })
    await sleep(100)
  }
  // Live editing went on: the observer got what was typed during the outage.
  const typedDuringOutage = w.typed.length
  const liveText = docText(observer.doc)
  await pg.start()
  const up = performance.now()

  const firstDown = probes.findIndex((p) => p.status === 503)
  assert.ok(firstDown >= 0, `/readyz never said 503: ${JSON.stringify(probes)}`)
  // The probe runs every second: the outage must be noticed within ~2 s.
  assert.ok(probes[firstDown].at < 3000, `/readyz noticed the outage only after ${probes[firstDown].at} ms`)
  const late = probes.slice(firstDown).filter((p) => p.status !== 503)
  assert.deepEqual(late, [], '/readyz answered other than 503 during the outage')
  const slow = probes.filter((p) => p.ms >= READYZ_BUDGET_MS)
  assert.deepEqual(slow, [], `/readyz answers slower than ${READYZ_BUDGET_MS} ms during the outage`)
  assert.deepEqual(writer.closes, [], 'the writer was disconnected during the outage (the backlog limit is far away)')
  const notRelayed = w.typed.slice(0, Math.max(0, typedDuringOutage - 10)).filter((tok) => !liveText.includes(tok))
  assert.deepEqual(notRelayed, [], 'edits typed during the outage were not relayed live')

  const ready = await waitFor(async () => (await readyz(server)).status === 200,
    { timeout: 15_000, interval: 100, what: '/readyz to be 200 after PostgreSQL is back' })
  const readyAfter = Math.round(performance.now() - up)
  assert.ok(ready)
  await sleep(1000)
  w.stop()
  await settled(server, observer, w.typed)
  writer.provider.destroy()
  observer.provider.destroy()
  await assertStored(s, server, id, alice, w.typed, 'after the outage')
  const maxMs = Math.max(...probes.map((p) => p.ms))
  t.diagnostic(`part 1: ${w.typed.length} tokens (${typedDuringOutage} typed by the end of the outage); ` +
    `${probes.length} /readyz probes, first 503 after ${probes[firstDown].at} ms, slowest ${maxMs} ms; ready ${readyAfter} ms after restart`)

  // ---- 2: a small backlog limit, the client is refused with 1013 --------
  await server.stop({ grace: 10_000 })
  server = await instance(s, db, secret, { MAX_UNSAVED_UPDATES: '50' })
  const writer2 = s.client(server, id, alice)
  const observer2 = s.client(server, id, alice)
  await Promise.all([synced(writer2), synced(observer2)])
  const w2 = typist(writer2, 'x', { intervalMs: 50, scope: s })
  w2.start()
  await sleep(1000)
  assert.deepEqual(writer2.closes, [], 'refused before the outage')

  await pg.stop()
  const down2 = performance.now()
  if (process.env.FAULT_DEBUG) {
    const iv = setInterval(async () => {
      const r = await readyz(server)
      console.error(Math.round(performance.now() - down2), r.status, r.json?.unsaved_updates, w2.typed.length, JSON.stringify(writer2.closes), writer2.provider.wsconnected)
    }, 500)
    s.defer(() => clearInterval(iv))
  }
  const refused = await waitFor(() => writer2.closes.find((c) => c?.code === 1013),
    { timeout: OUTAGE_MS - 1000, interval: 20, what: 'the writer to be closed with 1013 once 50 updates are unsaved' })
  const refusedAt = Math.round(performance.now() - down2)
  const typedWhenRefused = w2.typed.length
  const unsavedWhileFull = (await readyz(server)).json?.unsaved_updates
  await sleep(Math.max(0, OUTAGE_MS - (performance.now() - down2)))
  await pg.start()
  await waitFor(async () => (await readyz(server)).status === 200,
    { timeout: 15_000, interval: 100, what: '/readyz to be 200 after PostgreSQL is back' })
  await sleep(1000)
  w2.stop()
  assert.ok(w2.typed.length > typedWhenRefused + 50, `too little typed after the refusal (${typedWhenRefused} → ${w2.typed.length})`)
  assert.ok(refused.reason, 'the 1013 close carries no reason')
  assert.ok(unsavedWhileFull >= 50, `/readyz reported ${unsavedWhileFull} unsaved updates while refusing`)
  // The writer reconnects by itself (1013 is not permanent) and resends.
  await waitFor(() => writer2.provider.wsconnected && writer2.provider.synced,
    { timeout: 20_000, what: 'the refused writer to reconnect' })
  await settled(server, observer2, w2.typed)
  const codes = writer2.closes.map((c) => c?.code)
  writer2.provider.destroy()
  observer2.provider.destroy()
  await assertStored(s, server, id, alice, [...w.typed, ...w2.typed], 'after the refused outage')
  t.diagnostic(`part 2: ${w2.typed.length} tokens, refused with 1013 (${JSON.stringify(refused.reason)}) ` +
    `${refusedAt} ms into the outage after ${typedWhenRefused} typed; unsaved then ${unsavedWhileFull}; ` +
    `writer close codes ${JSON.stringify(codes)}`)

  // ---- 3: SIGTERM while the database is down ---------------------------
  // The flush cannot finish: the process still exits once SHUTDOWN_GRACE_SECS
  // is over, its clients get 1012, and what was not written lives on in the
  // clients, which resend it when they reconnect.
  await server.stop({ grace: 10_000 })
  server = await instance(s, db, secret, { SHUTDOWN_GRACE_SECS: '2' })
  const writer3 = s.client(server, id, alice)
  await synced(writer3)
  const w3 = typist(writer3, 'y', { scope: s })
  w3.start()
  await sleep(1000)
  await pg.stop()
  await sleep(2000)
  const unsavedAtSignal = (await readyz(server)).json?.unsaved_updates
  assert.ok(unsavedAtSignal > 0, `nothing unsaved two seconds into the outage (${unsavedAtSignal})`)
  const signalled = performance.now()
  const exit = await server.stop({ grace: 30_000 })
  const exitMs = Math.round(performance.now() - signalled)
  assert.equal(exit.signal, null, `the instance did not exit by itself (${JSON.stringify(exit)})`)
  // 2 s of grace, plus up to 3 s for the close handshakes, plus slack.
  assert.ok(exitMs < 9000, `exit took ${exitMs} ms with SHUTDOWN_GRACE_SECS=2`)
  assert.equal(writer3.closes[0]?.code, 1012, `close codes ${JSON.stringify(writer3.closes)}`)
  await sleep(1000)
  await pg.start()
  await server.start() // same port: the writer reconnects by itself
  const observer3 = s.client(server, id, alice)
  await waitFor(() => writer3.provider.wsconnected && writer3.provider.synced,
    { timeout: 20_000, what: 'the writer to reconnect after the restart' })
  await sleep(500)
  w3.stop()
  await synced(observer3)
  await settled(server, observer3, w3.typed)
  writer3.provider.destroy()
  observer3.provider.destroy()
  await assertStored(s, server, id, alice, [...w.typed, ...w2.typed, ...w3.typed], 'after SIGTERM during the outage')
  t.diagnostic(`part 3: ${unsavedAtSignal} unsaved at SIGTERM, exit ${JSON.stringify(exit)} after ${exitMs} ms; ` +
    `${w3.typed.length} tokens; writer close codes ${JSON.stringify(writer3.closes.map((c) => c?.code))}`)
})
