// Comment anchors made by a stock Yjs client: two relative positions
// (`Y.encodeRelativePosition`, base64) around a word. While other clients
// insert text before it concurrently, the server keeps the thread attached
// and the positions still cover the word; once the word is deleted the
// thread is detached and still listed.

import assert from 'node:assert/strict'
import { Y, scenario, synced, converged, paragraph } from './lib/harness.mjs'
import { waitFor } from './lib/server.mjs'

const b64 = (rpos) => Buffer.from(Y.encodeRelativePosition(rpos)).toString('base64')

/** The text between two relative positions in `doc`. */
function covered (doc, start, end) {
  const s = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(Buffer.from(start, 'base64')), doc)
  const e = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(Buffer.from(end, 'base64')), doc)
  if (!s || !e || s.type !== e.type) return null
  return s.type.toString().slice(s.index, e.index)
}

scenario('anchors from stock relative positions follow concurrent edits', { timeout: 60_000 }, async (s) => {
  const server = await s.server('sqlite')
  const alice = await server.user('alice')
  const bob = await server.user('bob')
  const doc = await server.createDocument(alice)
  await server.share(alice, doc.id, 'bob', 'editor')
  const a = s.client(server, doc.id, alice)
  const b = s.client(server, doc.id, bob)
  await Promise.all([synced(a), synced(b)])
  a.doc.getXmlFragment('default').insert(0, [paragraph('hello world')])
  await converged([a.doc, b.doc])
  const text = a.doc.getXmlFragment('default').get(0).get(0)
  const start = b64(Y.createRelativePositionFromTypeIndex(text, 6))
  const end = b64(Y.createRelativePositionFromTypeIndex(text, 11, -1))
  const created = await server.api('POST', `/api/documents/${doc.id}/comments`, {
    token: alice.token,
    body: { anchor: { start, end }, quote: 'world', body: 'which world?' },
    expect: 201
  })
  assert.equal(created.json.detached, false)

  // Both insert before the word at once.
  const bt = b.doc.getXmlFragment('default').get(0).get(0)
  text.insert(0, 'Oh, ')
  bt.insert(0, 'Well, ')
  await converged([a.doc, b.doc])
  await waitFor(async () => (await server.content(alice, doc.id, 'text')).includes('hello world'), { what: 'server text' })
  assert.equal(covered(a.doc, start, end), 'world')
  assert.equal(covered(b.doc, start, end), 'world')
  const listed = await server.api('GET', `/api/documents/${doc.id}/comments`, { token: bob.token, expect: 200 })
  assert.equal(listed.json.items[0].detached, false)
  assert.equal(listed.json.items[0].anchor.start, start, 'stored as sent')

  // The word goes: detached, still listed.
  const whole = text.toString()
  text.delete(whole.indexOf('world'), 5)
  await converged([a.doc, b.doc])
  await waitFor(async () => {
    const r = await server.api('GET', `/api/documents/${doc.id}/comments`, { token: bob.token, expect: 200 })
    return r.json.items.length === 1 && r.json.items[0].detached === true
  }, { what: 'the thread to be detached' })
})
