// Fault injection with stock y-websocket clients against several real
// `quire serve` instances on one PostgreSQL database and a private Redis:
//
// 1. SIGKILL of one of three instances whose clients never come back: every
//    token a surviving client saw (including those typed on the killed
//    instance and relayed to the others) is in the database afterwards. An
//    update may reach other instances only once it is durable, otherwise the
//    survivors see edits that died with the killed instance.
// 2. The same kill behind a TCP load balancer: the killed instance's clients
//    reconnect to a surviving instance, resend what they have, and all nine
//    clients converge on identical content holding every token anyone typed.
// 3. SIGTERM of one of two instances behind the balancer: its clients get
//    close code 1012, reconnect, and nothing typed is lost.
// 4. SIGTERM flushes: with a wide group-commit window, everything the
//    server relayed before the signal is stored, although its clients never
//    reconnect to resend it.
//
// Clients type unique tokens `[name-n]` into the `default` XmlFragment at
// about 10 edits/s. Set FAULT_ROUNDS to change how often test 1 kills.

import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { scenario, synced } from './lib/harness.mjs'
import { QuireServer, createDatabase, sleep, waitFor } from './lib/server.mjs'
import { Balancer } from './lib/balancer.mjs'
import { startRedis, typist, tokensIn, docText, localPort, readyz } from './lib/faults.mjs'

const ROUNDS = Number(process.env.FAULT_ROUNDS ?? 3)
// Group commit window for test 1: wide enough (but still milliseconds, as
// configured in production) that a kill lands between relay and durability.
const KILL_COMMIT_MS = '50'

const debug = process.env.FAULT_DEBUG
  ? (...a) => console.error(new Date().toISOString().slice(11, 23), ...a)
  : () => {}

// Every WebsocketProvider adds an exit listener.
process.setMaxListeners(100)

/**
 * Instances of one deployment: one database, one Redis, one JWT secret
 * (a token issued by one instance is valid on all). Every instance started
 * here is stopped at cleanup.
 */
async function deployment (s, kind = 'postgres') {
  const redis = await startRedis(s)
  const db = createDatabase(kind)
  s.defer(() => db.drop())
  const secret = 'fault-test-secret-' + randomBytes(24).toString('hex')
  let n = 0
  return {
    redis,
    db,
    async instance (env = {}) {
      const id = `inst-${++n}`
      const server = new QuireServer(db, { env: { REDIS_URL: redis.url, INSTANCE_ID: id, ...env } })
      server.jwtSecret = secret
      server.instanceId = id
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
  }
}

/** Clients connected and synced (after reconnects). */
function allSynced (clients, timeout = 20_000) {
  return waitFor(() => clients.every((c) => c.provider.wsconnected && c.provider.synced),
    { timeout, what: 'every client to be connected and synced' })
}

/**
 * A brand-new client on `server` and the REST text export both hold every
 * token in `tokens`; returns the fresh client's text.
 */
async function assertHasAll (s, server, id, user, tokens, what) {
  const fresh = s.client(server, id, user)
  await synced(fresh, 20_000)
  const text = docText(fresh.doc)
  fresh.provider.destroy()
  const missing = [...tokens].filter((tok) => !text.includes(tok))
  assert.deepEqual(missing, [], `${what}: ${missing.length} of ${tokens.size ?? tokens.length} tokens missing for a fresh client`)
  const rest = await server.content(user, id, 'text')
  const restMissing = [...tokens].filter((tok) => !rest.includes(tok))
  assert.deepEqual(restMissing, [], `${what}: ${restMissing.length} tokens missing in GET content`)
  return text
}

scenario('SIGKILL of one of three instances: nothing a surviving client saw is lost', { timeout: 150_000 }, async (s, t) => {
  const dep = await deployment(s)
  const env = { GROUP_COMMIT_MS: KILL_COMMIT_MS }
  let first = await dep.instance(env)
  const alice = await first.user('alice')
  const { id } = await first.createDocument(alice)

  const recorded = new Set()
  const rounds = []
  for (let round = 1; round <= ROUNDS; round++) {
    const servers = [first, await dep.instance(env), await dep.instance(env)]
    // `first` is a fresh instance on the database the previous round left.
    debug('round', round, 'instances up')
    if (recorded.size) await assertHasAll(s, first, id, alice, recorded, `before round ${round}`)
    debug('checked')

    const clients = []
    const typists = []
    for (let i = 0; i < 9; i++) {
      const c = s.client(servers[Math.floor(i / 3)], id, alice)
      clients.push(c)
      typists.push(typist(c, `r${round}-c${i + 1}`, { scope: s }))
    }
    await Promise.all(clients.map((c) => synced(c)))
    debug('synced')
    for (const ty of typists) ty.start()
    await sleep(5000)
    debug('killing')

    // Kill instance 3 shortly after one of its clients typed, so that the
    // update has been relayed but is likely not yet durable. Its clients
    // vanish with it (never reconnect, never resend).
    const last = typists[8].typed.length
    await waitFor(() => typists[8].typed.length > last, { interval: 1, what: 'a keystroke on instance 3' })
    await sleep(20)
    const killed = servers[2].kill9()
    for (let i = 6; i < 9; i++) {
      typists[i].stop()
      clients[i].provider.destroy()
    }
    await killed
    debug('killed')
    await sleep(2000)
    for (const ty of typists.slice(0, 6)) ty.stop()
    await sleep(2000)

    const survivors = clients.slice(0, 6)
    const seen = new Set(survivors.flatMap((c) => tokensIn(docText(c.doc))))
    const killedTyped = typists.slice(6).reduce((n, ty) => n + ty.typed.length, 0)
    const seenFromKilled = [...seen].filter((tok) => tok.startsWith(`[r${round}-c`) && /-c[789]-/.test(tok)).length
    for (const tok of seen) recorded.add(tok)
    rounds.push({ round, seen: seen.size, killedTyped, seenFromKilled })

    // Survivors leave, their instances shut down gracefully, a fresh one takes over.
    debug('recorded', rounds.at(-1))
    for (const c of survivors) c.provider.destroy()
    await Promise.all([servers[0].stop({ grace: 40_000 }), servers[1].stop({ grace: 40_000 })])
    first = await dep.instance(env)
  }

  await assertHasAll(s, first, id, alice, recorded, 'after the last round')
  t.diagnostic(`rounds: ${JSON.stringify(rounds)}; tokens checked: ${recorded.size}`)
  assert.ok(rounds.every((r) => r.seenFromKilled > 0),
    `the survivors saw nothing typed on the killed instance in some round: ${JSON.stringify(rounds)}`)
})

scenario('SIGKILL behind a load balancer: the killed instance\'s clients reconnect and all nine converge', { timeout: 120_000 }, async (s, t) => {
  const dep = await deployment(s)
  const servers = [await dep.instance(), await dep.instance(), await dep.instance()]
  const lb = await new Balancer(servers.map((x) => x.port)).start()
  s.defer(() => lb.close())
  const alice = await servers[0].user('alice')
  const { id } = await servers[0].createDocument(alice)

  const clients = []
  for (let i = 0; i < 9; i++) {
    clients.push(s.client(lb, id, alice))
    // One at a time, so round-robin puts three on each instance.
    await waitFor(() => localPort(clients[i]), { what: `client ${i + 1} to open its socket` })
  }
  await allSynced(clients)
  const onKilled = clients.filter((c) => lb.backendOf(localPort(c)) === servers[2].port)
  assert.equal(onKilled.length, 3, `round-robin gave instance 3 ${onKilled.length} clients (${JSON.stringify(lb.counts())})`)

  const typists = clients.map((c, i) => typist(c, `c${i + 1}`, { scope: s }))
  for (const ty of typists) ty.start()
  await sleep(5000)
  await servers[2].kill9()
  // Everyone keeps typing; the orphaned clients reconnect through the balancer.
  await sleep(5000)
  for (const ty of typists) ty.stop()
  await allSynced(clients)

  for (const c of onKilled) {
    assert.ok(c.closes.length >= 1, 'a client of the killed instance saw no close')
    const now = lb.backendOf(localPort(c))
    assert.ok(now === servers[0].port || now === servers[1].port, `reconnected to ${now}`)
  }

  const typed = typists.flatMap((ty) => ty.typed)
  const text = await waitFor(() => {
    const texts = clients.map((c) => docText(c.doc))
    return texts.every((x) => x === texts[0]) && typed.every((tok) => texts[0].includes(tok)) && texts[0]
  }, { timeout: 30_000, what: 'all nine clients to converge on every typed token' }).catch((e) => {
    const missing = clients.map((c) => typed.filter((tok) => !docText(c.doc).includes(tok)).length)
    e.message += ` (missing per client: ${JSON.stringify(missing)})`
    throw e
  })
  assert.equal(tokensIn(text).length, typed.length, 'a token is in the document more than once')
  for (const srv of servers.slice(0, 2)) {
    await waitFor(async () => (await srv.content(alice, id, 'text')) === text,
      { timeout: 10_000, interval: 200, what: `GET content on ${srv.instanceId} to equal the clients' text` })
  }

  // Durable too: a fresh instance after the others shut down serves the same text.
  for (const c of clients) c.provider.destroy()
  await Promise.all([servers[0].stop({ grace: 40_000 }), servers[1].stop({ grace: 40_000 })])
  const fresh = await dep.instance()
  assert.equal(await assertHasAll(s, fresh, id, alice, typed, 'after restart'), text)
  assert.equal(await fresh.content(alice, id, 'text'), text)
  t.diagnostic(`${typed.length} tokens; connections per backend ${JSON.stringify(lb.counts())}; ` +
    `closes seen by the killed instance's clients: ${JSON.stringify(onKilled.map((c) => c.closes.filter(Boolean).map((x) => x.code)))}`)
})

scenario('SIGTERM of one of two instances: its clients get 1012, reconnect, and nothing is lost', { timeout: 120_000 }, async (s, t) => {
  const dep = await deployment(s)
  const servers = [await dep.instance(), await dep.instance()]
  const lb = await new Balancer(servers.map((x) => x.port)).start()
  s.defer(() => lb.close())
  const alice = await servers[0].user('alice')
  const { id } = await servers[0].createDocument(alice)

  const clients = []
  for (let i = 0; i < 6; i++) {
    clients.push(s.client(lb, id, alice))
    await waitFor(() => localPort(clients[i]), { what: `client ${i + 1} to open its socket` })
  }
  await allSynced(clients)
  const onStopped = clients.filter((c) => lb.backendOf(localPort(c)) === servers[0].port)
  const others = clients.filter((c) => !onStopped.includes(c))
  assert.equal(onStopped.length, 3, `round-robin gave instance 1 ${onStopped.length} clients`)

  const typists = clients.map((c, i) => typist(c, `c${i + 1}`, { scope: s }))
  for (const ty of typists) ty.start()
  await sleep(3000)
  const stoppedAt = Date.now()
  const exit = await servers[0].stop({ grace: 40_000 })
  const stopMs = Date.now() - stoppedAt
  assert.equal(exit.signal, null, `instance 1 did not exit by itself after SIGTERM (${JSON.stringify(exit)})`)
  await sleep(3000)
  for (const ty of typists) ty.stop()
  await allSynced(clients)

  for (const c of onStopped) {
    assert.equal(c.closes[0]?.code, 1012, `first close of a client of the stopped instance: ${JSON.stringify(c.closes)}`)
    assert.equal(lb.backendOf(localPort(c)), servers[1].port)
  }
  for (const c of others) assert.deepEqual(c.closes, [], 'a client of the surviving instance was closed')

  const typed = typists.flatMap((ty) => ty.typed)
  const text = await waitFor(() => {
    const texts = clients.map((c) => docText(c.doc))
    return texts.every((x) => x === texts[0]) && typed.every((tok) => texts[0].includes(tok)) && texts[0]
  }, { timeout: 30_000, what: 'all clients to converge on every typed token' })
  assert.equal(await assertHasAll(s, servers[1], id, alice, typed, 'on the surviving instance'), text)

  // After everything settles, instance 1 comes back on the same database
  // while instance 2 shuts down: the stored document has every token.
  for (const c of clients) c.provider.destroy()
  await servers[1].stop({ grace: 40_000 })
  await servers[0].start()
  assert.equal(await assertHasAll(s, servers[0], id, alice, typed, 'after restart'), text)
  t.diagnostic(`${typed.length} tokens; instance 1 exited ${JSON.stringify(exit)} ${stopMs} ms after SIGTERM; ` +
    `closes: ${JSON.stringify(onStopped.map((c) => c.closes.filter(Boolean).map((x) => x.code)))}`)
})

scenario('SIGTERM flushes every accepted edit, also for clients that never come back', { timeout: 60_000 }, async (s, t) => {
  const dep = await deployment(s)
  // A wide group-commit window, so that edits are still waiting to be
  // written when the signal arrives.
  const server = await dep.instance({ GROUP_COMMIT_MS: '500' })
  const alice = await server.user('alice')
  const { id } = await server.createDocument(alice)
  // Stock option: these clients stay away after any close (nothing is resent).
  const writer = s.client(server, id, alice)
  const observer = s.client(server, id, alice)
  for (const c of [writer, observer]) c.provider.shouldReconnect = () => false
  await Promise.all([synced(writer), synced(observer)])
  const w = typist(writer, 'w', { intervalMs: 25, scope: s })
  w.start()
  await sleep(3000)
  const unsaved = (await readyz(server)).json?.unsaved_updates
  const exit = await server.stop({ grace: 40_000 })
  w.stop()
  assert.equal(exit.signal, null, `did not exit by itself after SIGTERM (${JSON.stringify(exit)})`)
  // What the server relayed is what it accepted.
  const accepted = tokensIn(docText(observer.doc))
  assert.ok(accepted.length > 50, `too few edits relayed (${accepted.length})`)
  for (const c of [writer, observer]) assert.equal(c.closes[0]?.code, 1012, `close codes ${JSON.stringify(c.closes)}`)
  writer.provider.destroy()
  observer.provider.destroy()

  await server.start()
  await assertHasAll(s, server, id, alice, accepted, 'after SIGTERM and restart')
  t.diagnostic(`${accepted.length} accepted of ${w.typed.length} typed; unsaved just before SIGTERM: ${unsaved}`)
})

