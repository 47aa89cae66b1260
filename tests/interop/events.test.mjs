// Live document events (message type 101, opt-in with `?events=1`) seen by
// stock clients: a stock WebsocketProvider that does not ask for events
// never receives a type-101 frame, while a socket that asks receives
// metadata, members and version events as JSON; a client that sends a
// type-101 frame is closed (1003).

import assert from 'node:assert/strict'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { scenario, synced } from './lib/harness.mjs'
import { sleep, waitFor } from './lib/server.mjs'

const MSG_QUIRE_EVENT = 101

/** The message type of every frame `ws` receives, and the events' JSON. */
function record (ws) {
  const seen = { types: [], events: [] }
  ws.on('message', (data) => {
    const bytes = new Uint8Array(data)
    const dec = decoding.createDecoder(bytes)
    const type = decoding.readVarUint(dec)
    seen.types.push(type)
    if (type === MSG_QUIRE_EVENT) seen.events.push(JSON.parse(decoding.readVarString(dec)))
  })
  return seen
}

scenario('stock clients see no events; events=1 sockets get them', { timeout: 40_000 }, async (s) => {
  const server = await s.server('sqlite')
  const alice = await server.user('alice')
  const bob = await server.user('bob')
  const doc = await server.createDocument(alice, { title: 'Before' })
  await server.share(alice, doc.id, 'bob', 'editor')

  // A stock provider, without events=1: record what its socket receives.
  const stock = s.client(server, doc.id, bob)
  let stockSeen = null
  stock.provider.on('status', ({ status }) => {
    if (status === 'connected' && !stockSeen) stockSeen = record(stock.provider.ws)
  })
  await synced(stock)
  // A raw socket that asks for events.
  const raw = s.socket(`${server.wsBase}/${doc.id}?token=${bob.token}&events=1`)
  const rawSeen = record(raw)
  await new Promise((resolve) => raw.once('open', resolve))

  await server.api('PATCH', `/api/documents/${doc.id}`, {
    token: alice.token,
    body: { title: 'After', status: 'review', expected_version: doc.version },
    expect: 200
  })
  await server.api('POST', `/api/documents/${doc.id}/versions`, {
    token: alice.token, body: { label: 'v1' }, expect: 201
  })
  await waitFor(() => rawSeen.events.some((e) => e.type === 'version'), { what: 'version event' })
  const meta = rawSeen.events.find((e) => e.type === 'metadata')
  assert.equal(meta.document.title, 'After')
  assert.equal(meta.document.status, 'review')
  assert.equal(meta.document.role, 'editor')
  assert.equal(meta.document.updated_by_username, 'alice')
  assert.equal(rawSeen.events.find((e) => e.type === 'version').version.label, 'v1')

  // The stock client stayed connected and synced and saw no event frame.
  await sleep(300)
  assert.ok(stockSeen && stockSeen.types.length > 0, 'stock client received frames')
  assert.ok(!stockSeen.types.includes(MSG_QUIRE_EVENT), `stock client got type 101: ${stockSeen.types}`)
  assert.ok(stock.provider.wsconnected)
  assert.deepEqual(stock.closes, [])
})

scenario('a client that sends a type-101 frame is closed', { timeout: 30_000 }, async (s) => {
  const server = await s.server('sqlite')
  const alice = await server.user('alice')
  const doc = await server.createDocument(alice)
  const ws = s.socket(`${server.wsBase}/${doc.id}?token=${alice.token}&events=1`)
  await new Promise((resolve) => ws.once('open', resolve))
  const closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)))
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, MSG_QUIRE_EVENT)
  encoding.writeVarString(enc, JSON.stringify({ type: 'metadata', document: { title: 'forged' } }))
  ws.send(encoding.toUint8Array(enc))
  assert.equal(await closed, 1003)
  const after = await server.api('GET', `/api/documents/${doc.id}`, { token: alice.token, expect: 200 })
  assert.equal(after.json.title, 'interop')
})
