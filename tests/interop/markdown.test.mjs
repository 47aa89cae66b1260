// Issue 3 acceptance 6: a document created with a Markdown body reaches a
// stock client as the y-prosemirror tree in `default`, and a client's edit
// comes back out of the Markdown export.

import assert from 'node:assert/strict'
import { scenario, synced, paragraph, Y } from './lib/harness.mjs'
import { waitFor } from './lib/server.mjs'

scenario('Markdown body → XmlFragment → client edit → Markdown export', { timeout: 30_000 }, async (s) => {
  const server = await s.server('sqlite')
  const alice = await server.user('alice')
  const { id } = await server.createDocument(alice, { body: '# Hello\n\nWorld', body_format: 'markdown' })

  const c = s.client(server, id, alice)
  await synced(c)
  const frag = c.doc.getXmlFragment('default')
  const nodes = frag.toArray()
  assert.equal(nodes.length, 2, `expected two blocks, got ${frag.toString()}`)

  const [h, p] = nodes
  assert.ok(h instanceof Y.XmlElement)
  assert.equal(h.nodeName, 'heading')
  assert.equal(h.getAttribute('level'), 1, `heading level attribute: ${JSON.stringify(h.getAttributes())}`)
  assert.equal(h.length, 1)
  assert.ok(h.get(0) instanceof Y.XmlText)
  assert.equal(h.get(0).toString(), 'Hello')

  assert.ok(p instanceof Y.XmlElement)
  assert.equal(p.nodeName, 'paragraph')
  assert.ok(p.get(0) instanceof Y.XmlText)
  assert.equal(p.get(0).toString(), 'World')

  frag.insert(frag.length, [paragraph('Added')])
  const md = await waitFor(async () => {
    const m = await server.content(alice, id, 'markdown')
    return m.includes('Added') && m
  }, { what: 'the appended paragraph in the Markdown export' })
  assert.equal(md.replace(/\n+$/, ''), '# Hello\n\nWorld\n\nAdded')
  const text = await server.content(alice, id, 'text')
  assert.match(text, /Hello\s+World\s+Added\s*$/, `text export: ${JSON.stringify(text)}`)
})

// The server sends messages over 4 KiB as several WebSocket fragments of one
// message; a stock client must see the whole initial sync of a big document.
scenario('a large document syncs whole to a stock client (fragmented sends)', { timeout: 30_000 }, async (s) => {
  const server = await s.server('sqlite')
  const alice = await server.user('alice')
  const body = Array.from({ length: 1200 }, (_, i) => `Paragraph ${i} of a long report.`).join('\n\n')
  assert.ok(body.length > 30_000)
  const { id } = await server.createDocument(alice, { body, body_format: 'markdown' })
  const c = s.client(server, id, alice)
  await synced(c)
  const frag = c.doc.getXmlFragment('default')
  await waitFor(async () => frag.length === 1200, { what: '1200 paragraphs' })
  assert.equal(frag.get(1199).get(0).toString(), 'Paragraph 1199 of a long report.')
})
