// Issue 3 acceptance 2: a client goes offline (provider.disconnect()), keeps
// editing while another client edits online, reconnects: both sets of edits
// end up on every client and in the server's REST text export.

import assert from 'node:assert/strict'
import { scenario, synced, converged, fragmentText, paragraph } from './lib/harness.mjs'
import { sleep, waitFor } from './lib/server.mjs'

scenario('offline edits merge on reconnect', { timeout: 40_000 }, async (s) => {
  const server = await s.server('sqlite')
  const alice = await server.user('alice')
  const bob = await server.user('bob')
  const { id } = await server.createDocument(alice)
  await server.share(alice, id, 'bob', 'editor')

  const a = s.client(server, id, alice)
  const b = s.client(server, id, bob)
  await Promise.all([synced(a), synced(b)])

  const fragA = a.doc.getXmlFragment('default')
  const fragB = b.doc.getXmlFragment('default')
  fragA.insert(0, [paragraph('shared start')])
  await waitFor(() => fragmentText(fragB).includes('shared start'), { what: 'bob to see the first paragraph' })

  a.provider.disconnect()
  await waitFor(() => !a.provider.wsconnected && a.provider.ws === null, { what: 'alice to disconnect' })

  const offline = []
  const online = []
  for (let i = 0; i < 20; i++) {
    const tokA = `offline-alice-${i}`
    const tokB = `online-bob-${i}`
    fragA.insert(fragA.length, [paragraph(tokA)])
    a.doc.getText('plain').insert(0, `<${tokA}>`)
    fragB.insert(i % 2 ? 0 : fragB.length, [paragraph(tokB)])
    offline.push(tokA)
    online.push(tokB)
    await sleep(10)
  }
  // Bob's online edits are on the server; alice (offline) has none of them.
  await waitFor(async () => (await server.content(bob, id, 'text')).includes('online-bob-19'), { what: 'bob\'s edits on the server' })
  assert.ok(!fragmentText(fragA).includes('online-bob-0'), 'offline client received edits while disconnected')
  const serverBefore = await server.content(bob, id, 'text')
  assert.ok(!serverBefore.includes('offline-alice-0'), 'server got offline edits before reconnect')

  a.provider.connect()
  await synced(a)
  await converged([a.doc, b.doc])

  for (const doc of [a.doc, b.doc]) {
    const text = fragmentText(doc.getXmlFragment('default'))
    for (const tok of [...offline, ...online, 'shared start']) {
      assert.ok(text.includes(tok), `${tok} missing on a client`)
    }
    assert.ok(offline.every((tok) => doc.getText('plain').toString().includes(`<${tok}>`)))
  }
  assert.equal(fragmentText(fragA), fragmentText(fragB))

  const text = await waitFor(async () => {
    const t = await server.content(alice, id, 'text')
    return offline.every((tok) => t.includes(tok)) && t
  }, { what: 'server text export to contain the offline edits' })
  for (const tok of [...offline, ...online, 'shared start']) assert.ok(text.includes(tok), `${tok} missing in GET content`)
  // Exactly once each (no duplicated merge).
  for (const tok of [...offline, ...online]) {
    assert.equal(text.split('\n').filter((line) => line === tok).length, 1, `${tok} not exactly once in ${JSON.stringify(text)}`)
  }
  assert.ok(!a.closes.some((c) => c && c.code >= 4400 && c.code < 4500), 'permanent close during the test')
})

scenario('clients ride out a graceful server restart and merge what they typed meanwhile', { timeout: 60_000 }, async (s) => {
  const server = await s.server('postgres')
  const alice = await server.user('alice')
  const bob = await server.user('bob')
  const { id } = await server.createDocument(alice)
  await server.share(alice, id, 'bob', 'editor')

  const a = s.client(server, id, alice)
  const b = s.client(server, id, bob)
  await Promise.all([synced(a), synced(b)])
  const fragA = a.doc.getXmlFragment('default')
  const fragB = b.doc.getXmlFragment('default')
  fragA.insert(0, [paragraph('before restart')])
  await waitFor(() => fragmentText(fragB).includes('before restart'), { what: 'bob to see the first edit' })

  await server.stop()
  await waitFor(() => !a.provider.wsconnected && !b.provider.wsconnected, { what: 'clients to notice the restart' })
  const codes = [...a.closes, ...b.closes].map((e) => e && e.code)
  assert.ok(codes.every((c) => !(c >= 4400 && c < 4500)), `permanent close on shutdown: ${codes}`)
  fragA.insert(fragA.length, [paragraph('alice while down')])
  fragB.insert(fragB.length, [paragraph('bob while down')])
  await server.start()

  await Promise.all([synced(a, 20_000), synced(b, 20_000)])
  await converged([a.doc, b.doc])
  for (const tok of ['before restart', 'alice while down', 'bob while down']) {
    assert.ok(fragmentText(fragA).includes(tok), `${tok} missing`)
  }
  const text = await waitFor(async () => {
    const t = await server.content(alice, id, 'text')
    return t.includes('alice while down') && t.includes('bob while down') && t
  }, { what: 'server to hold the edits made while it was down' })
  assert.ok(text.includes('before restart'))
})
