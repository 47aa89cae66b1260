// Issue 3 acceptance 4: a viewer's edits never reach other clients or the
// stored content while it still receives live changes; the upgrade is
// refused with HTTP 401 without a valid identity and 403 without access.

import assert from 'node:assert/strict'
import { scenario, synced, fragmentText, paragraph, upgradeStatus } from './lib/harness.mjs'
import { sleep, waitFor, withTimeout } from './lib/server.mjs'

scenario('viewer is read-only but receives live edits', { timeout: 40_000 }, async (s) => {
  const server = await s.server('sqlite')
  const alice = await server.user('alice')
  const bob = await server.user('bob')
  const { id } = await server.createDocument(alice, { body: 'first paragraph', body_format: 'markdown' })
  await server.share(alice, id, 'bob', 'viewer')

  const editor = s.client(server, id, alice)
  const viewer = s.client(server, id, bob)
  await Promise.all([synced(editor), synced(viewer)])
  const fragE = editor.doc.getXmlFragment('default')
  const fragV = viewer.doc.getXmlFragment('default')
  assert.equal(fragmentText(fragV), 'first paragraph', 'viewer did not get the document')

  // The viewer edits (its local doc changes; the server must drop the updates) ...
  for (let i = 0; i < 5; i++) {
    fragV.insert(fragV.length, [paragraph(`viewer-edit-${i}`)])
    viewer.doc.getText('plain').insert(0, `viewer-text-${i}`)
  }
  // ... then announces a marker through awareness. The server handles one
  // connection's frames in order, so once the editor sees the marker the
  // viewer's updates have been processed (and relayed, had they been accepted).
  viewer.provider.awareness.setLocalStateField('marker', 'after-edits')
  await waitFor(() => [...editor.provider.awareness.getStates().values()].some((st) => st.marker === 'after-edits'),
    { what: 'editor to see the viewer\'s awareness marker' })
  await sleep(200)
  assert.ok(!fragmentText(fragE).includes('viewer-edit'), 'viewer edit reached the editor')
  assert.equal(editor.doc.getText('plain').toString(), '', 'viewer text edit reached the editor')
  const text = await server.content(alice, id, 'text')
  assert.ok(!text.includes('viewer-edit'), `viewer edit reached the server: ${text}`)
  assert.equal(text.trim(), 'first paragraph')

  // The editor's live changes still reach the viewer.
  fragE.insert(fragE.length, [paragraph('from-the-editor')])
  await waitFor(() => fragmentText(fragV).includes('from-the-editor'), { what: 'viewer to receive the editor\'s edit' })
  await sleep(200)
  assert.ok(!fragmentText(fragE).includes('viewer-edit'))
  assert.ok((await server.content(bob, id, 'text')).includes('from-the-editor'), 'viewer may read content')

  // A fresh client of the editor loads the stored document without viewer edits.
  const fresh = s.client(server, id, alice)
  await synced(fresh)
  assert.equal(fragmentText(fresh.doc.getXmlFragment('default')), 'first paragraph\nfrom-the-editor')
  assert.equal(fresh.doc.getText('plain').toString(), '')
  // The viewer was never disconnected for trying.
  assert.ok(viewer.provider.wsconnected)
  assert.deepEqual(viewer.closes, [])
})

scenario('upgrade without identity → 401, without access → 403', { timeout: 30_000 }, async (s) => {
  const server = await s.server('sqlite')
  const alice = await server.user('alice')
  const mallory = await server.user('mallory')
  const { id } = await server.createDocument(alice)
  const url = `${server.wsBase}/${id}`

  assert.equal(await upgradeStatus(s, url), 401, 'no token')
  assert.equal(await upgradeStatus(s, `${url}?token=not-a-jwt`), 401, 'garbage token')
  const [h, p] = alice.token.split('.')
  assert.equal(await upgradeStatus(s, `${url}?token=${h}.${p}.${'A'.repeat(43)}`), 401, 'bad signature')
  assert.equal(await upgradeStatus(s, `${url}?token=${mallory.token}`), 403, 'non-member')
  assert.equal(await upgradeStatus(s, `${server.wsBase}/no-such-document?token=${alice.token}`) >= 400, true, 'unknown document')
  assert.equal(await upgradeStatus(s, `${url}?token=${alice.token}`), 101, 'owner')
  assert.equal(await upgradeStatus(s, url, { headers: { authorization: `Bearer ${alice.token}` } }), 101, 'bearer header')

  // A stock provider refused at the upgrade never receives the document.
  const { id: secret } = await server.createDocument(alice, { body: 'top secret', body_format: 'markdown' })
  const intruder = s.client(server, secret, mallory)
  await sleep(1500)
  assert.equal(intruder.provider.synced, false)
  assert.equal(fragmentText(intruder.doc.getXmlFragment('default')), '')
})

scenario('removing or demoting a member acts on live connections; outdated schema is refused for good', { timeout: 40_000 }, async (s) => {
  const server = await s.server('sqlite')
  const alice = await server.user('alice')
  const bob = await server.user('bob')
  const carol = await server.user('carol')
  const { id } = await server.createDocument(alice)
  await server.share(alice, id, 'bob', 'editor')
  await server.share(alice, id, 'carol', 'editor')

  const a = s.client(server, id, alice)
  const b = s.client(server, id, bob)
  const c = s.client(server, id, carol)
  await Promise.all([synced(a), synced(b), synced(c)])
  const fragA = a.doc.getXmlFragment('default')

  // Demote carol to viewer: her socket stays open but read-only.
  await server.share(alice, id, 'carol', 'viewer')
  c.doc.getXmlFragment('default').insert(0, [paragraph('carol-after-demotion')])
  b.doc.getXmlFragment('default').insert(0, [paragraph('bob-edit')])
  await waitFor(() => fragmentText(fragA).includes('bob-edit'), { what: 'bob\'s edit' })
  c.provider.awareness.setLocalStateField('marker', 'demoted')
  await waitFor(() => [...a.provider.awareness.getStates().values()].some((st) => st.marker === 'demoted'), { what: 'carol\'s marker' })
  await sleep(200)
  assert.ok(!fragmentText(fragA).includes('carol-after-demotion'), 'demoted member could still edit')
  assert.ok(!(await server.content(alice, id, 'text')).includes('carol-after-demotion'))

  // Remove bob: closed with the permanent 4403, and the provider gives up.
  const closedEvent = new Promise((resolve) => b.provider.once('closed', resolve))
  const res = await server.api('DELETE', `/api/documents/${id}/members/bob`, { token: alice.token })
  assert.ok(res.status === 204 || res.status === 200, `remove member: ${res.status} ${res.text}`)
  const closed = await withTimeout(closedEvent, 10_000, 'bob to be closed')
  assert.equal(closed.code, 4403, `close: ${JSON.stringify(closed)}`)
  await sleep(1500)
  assert.equal(b.provider.wsconnected, false)
  assert.equal(b.provider.shouldConnect, false, 'provider would reconnect after 4403')
  assert.deepEqual(b.closes.map((e) => e && e.code), [4403], 'bob reconnected and was closed again')

  // An editor with an outdated schema (1: before the suggestion marks) is refused with the permanent 4426.
  const old = s.client(server, id, alice, { params: { schema: '1' } })
  const oldClosed = await withTimeout(new Promise((resolve) => old.provider.once('closed', resolve)), 10_000, 'outdated editor close')
  assert.equal(oldClosed.code, 4426)
  assert.ok(oldClosed.reason.length > 0, 'close reason explains the refusal')
  assert.equal(old.provider.synced, false)
  const current = s.client(server, id, alice, { params: { schema: '2' } })
  await synced(current)
})
