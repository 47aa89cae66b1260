// Issue 3 acceptance 7: malformed frames from a raw `ws` client close that
// socket with the right code (truncated varint → 1008, unknown type → 1003,
// 2 MiB frame → 1009, text frame → 1003) while stock clients in the same
// document keep syncing and the document is untouched.

import assert from 'node:assert/strict'
import { scenario, synced, paragraph, fragmentText } from './lib/harness.mjs'
import { waitFor, withTimeout } from './lib/server.mjs'

/** Opens a raw socket, waits for the server's opening sync step 1 and answers with ours. */
async function rawConnection (s, server, docId, user) {
  const ws = s.socket(`${server.wsBase}/${docId}?token=${user.token}`)
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  const firstMessage = new Promise((resolve) => ws.once('message', (data) => resolve(new Uint8Array(data))))
  await withTimeout(new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('unexpected-response', (_q, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
  }), 10_000, 'raw socket open')
  const first = await withTimeout(firstMessage, 10_000, 'server sync step 1')
  assert.deepEqual([...first.slice(0, 2)], [0, 0], 'server opens with sync step 1')
  ws.send(Uint8Array.from([0, 0, 1, 0])) // sync step 1 with an empty state vector
  return { ws, closed }
}

const cases = [
  { name: 'truncated varint [0x80]', frame: () => Uint8Array.from([0x80]), code: 1008 },
  { name: 'unknown message type [9, 0]', frame: () => Uint8Array.from([9, 0]), code: 1003 },
  { name: '2 MiB binary frame', frame: () => new Uint8Array(2 * 1024 * 1024).fill(7), code: 1009 },
  { name: 'text frame', frame: () => 'hello, server', code: 1003 }
]

scenario('malformed frames close the socket with the right code; the document is untouched', { timeout: 45_000 }, async (s) => {
  const server = await s.server('sqlite')
  const alice = await server.user('alice')
  const bob = await server.user('bob')
  const { id } = await server.createDocument(alice, { body: '# Title\n\nBody text', body_format: 'markdown' })
  await server.share(alice, id, 'bob', 'editor')

  const a = s.client(server, id, alice)
  const b = s.client(server, id, bob)
  await Promise.all([synced(a), synced(b)])
  const before = await server.content(alice, id, 'json')
  const probeA = a.doc.getText('probe')
  const probeB = b.doc.getText('probe')

  const results = []
  for (const [i, c] of cases.entries()) {
    const { ws, closed } = await rawConnection(s, server, id, alice)
    ws.send(c.frame())
    const { code, reason } = await withTimeout(closed, 10_000, `close after ${c.name}`)
    results.push({ case: c.name, code, reason })

    // The stock clients keep syncing, both ways, and are not disconnected.
    probeA.insert(probeA.length, `a${i};`)
    probeB.insert(probeB.length, `b${i};`)
    await waitFor(() => probeA.toString().includes(`b${i};`) && probeB.toString().includes(`a${i};`),
      { what: `stock clients to sync after ${c.name}` })
  }
  assert.deepEqual(results.map((r) => r.code), cases.map((c) => c.code),
    `close codes: ${JSON.stringify(results)}`)

  assert.ok(a.provider.wsconnected && b.provider.wsconnected)
  assert.deepEqual(a.closes, [], 'a stock client was disconnected')
  assert.deepEqual(b.closes, [], 'a stock client was disconnected')
  assert.equal(probeA.toString(), probeB.toString())
  assert.deepEqual(await server.content(alice, id, 'json'), before, 'document content changed')
  assert.equal(fragmentText(a.doc.getXmlFragment('default')), 'Title\nBody text')

  // The `default` fragment still syncs normally afterwards.
  a.doc.getXmlFragment('default').insert(2, [paragraph('after the garbage')])
  await waitFor(async () => (await server.content(bob, id, 'markdown')).includes('after the garbage'), { what: 'edit after garbage' })
  assert.equal(fragmentText(b.doc.getXmlFragment('default')), 'Title\nBody text\nafter the garbage')
})
