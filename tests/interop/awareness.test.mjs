// Issue 3 acceptance 5: awareness is relayed and stamped with the real
// identity; a client alone in a room is kept alive by the echo of its own
// awareness renewal (no reconnect by the y-websocket 30 s watchdog).

import assert from 'node:assert/strict'
import { scenario, synced, paragraph } from './lib/harness.mjs'
import { sleep, waitFor } from './lib/server.mjs'

scenario('awareness is relayed with the authenticated identity stamped in', { timeout: 30_000 }, async (s) => {
  const server = await s.server('sqlite')
  const alice = await server.user('alice')
  const bob = await server.user('bob')
  const { id } = await server.createDocument(alice)
  await server.share(alice, id, 'bob', 'editor')

  const a = s.client(server, id, alice)
  const b = s.client(server, id, bob)
  await Promise.all([synced(a), synced(b)])

  // Bob claims to be alice.
  b.provider.awareness.setLocalStateField('user', { name: 'alice', color: '#f00' })
  b.provider.awareness.setLocalStateField('cursor', { anchor: 3, head: 5 })
  const bobId = b.doc.clientID
  const seen = await waitFor(() => {
    const st = a.provider.awareness.getStates().get(bobId)
    return st?.user && st.cursor && st
  }, { what: 'alice to see bob\'s awareness state' })
  assert.equal(seen.user.name, 'bob', `identity not stamped: ${JSON.stringify(seen)}`)
  assert.equal(typeof seen.user.id, 'string')
  assert.ok(seen.user.id.length > 0)
  assert.equal(seen.user.id, bob.id, 'user.id should be bob\'s user id')
  assert.equal(seen.user.color, '#f00', 'other fields are kept')
  assert.deepEqual(seen.cursor, { anchor: 3, head: 5 })

  // Later changes are relayed too, still stamped.
  b.provider.awareness.setLocalStateField('cursor', { anchor: 7, head: 7 })
  await waitFor(() => a.provider.awareness.getStates().get(bobId)?.cursor?.anchor === 7, { what: 'cursor update' })
  assert.equal(a.provider.awareness.getStates().get(bobId).user.name, 'bob')

  // Bob leaves: his state disappears from alice's awareness.
  b.provider.disconnect()
  await waitFor(() => !a.provider.awareness.getStates().has(bobId), { what: 'bob\'s awareness to be removed' })
})

scenario('SLOW (~35 s): a client alone in a room stays connected past the 30 s watchdog', { timeout: 50_000 }, async (s) => {
  const server = await s.server('sqlite')
  const alice = await server.user('alice')
  const { id } = await server.createDocument(alice)

  const a = s.client(server, id, alice)
  await synced(a)
  a.provider.awareness.setLocalStateField('user', { name: 'alice', color: '#0f0' })
  const start = Date.now()
  const disconnects = []
  a.provider.on('status', (e) => { if (e.status === 'disconnected') disconnects.push(Date.now() - start) })

  await sleep(35_000)

  assert.deepEqual([...disconnects], [], 'provider disconnected (watchdog?) while alone in the room')
  assert.deepEqual([...a.closes], [])
  // ('connecting' is emitted inside the constructor, before our listener.)
  assert.deepEqual([...a.statuses], ['connected'])
  assert.ok(a.provider.wsconnected)
  // Still live: an edit now reaches the server.
  a.doc.getXmlFragment('default').insert(0, [paragraph('still here')])
  await waitFor(async () => (await server.content(alice, id, 'text')).includes('still here'), { what: 'edit after 35 s' })
})
