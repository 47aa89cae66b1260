// Issue 3 acceptance 1: three stock y-websocket clients edit one document
// concurrently for ~3 s (paragraphs in the `default` XmlFragment, text inside
// them, a Y.Text, random positions, deletes); afterwards all three hold
// byte-identical `Y.encodeStateAsUpdate` and every surviving insert.

import assert from 'node:assert/strict'
import { scenario, synced, converged, svKey, fragmentText, paragraph, Y } from './lib/harness.mjs'
import { sleep, waitFor } from './lib/server.mjs'

const EDIT_MS = 3000

/** Seeded PRNG so that a failure can be replayed (seed printed on failure). */
function rng (seed) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let x = s
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

// Tokens are inserted whole, only at token boundaries, so no later insert can
// split one: `[name-n]` is kept forever, `(name-n)` is "doomed" (its author
// deletes it later). Doomed paragraphs carry `doomed="name"`; nobody types
// into them, so deleting one never takes a kept token with it.
function boundaries (str) {
  const out = [0]
  for (let i = 0; i < str.length; i++) {
    if (str[i] === ']' || str[i] === ')') out.push(i + 1)
  }
  return out
}

function makeEditor (name, doc, random, log) {
  const frag = doc.getXmlFragment('default')
  const text = doc.getText('plain')
  let n = 0
  const pick = (arr) => arr[Math.floor(random() * arr.length)]
  const liveParagraphs = () => frag.toArray().filter((p) => p instanceof Y.XmlElement && !p.getAttribute('doomed'))
  const myDoomed = () => frag.toArray().filter((p) => p instanceof Y.XmlElement && p.getAttribute('doomed') === name)

  const deleteOwnDoomedToken = (ytext) => {
    const s = ytext.toString()
    const re = new RegExp(`\\(${name}-\\d+\\)`, 'g')
    const found = [...s.matchAll(re)]
    if (!found.length) return false
    const m = pick(found)
    ytext.delete(m.index, m[0].length)
    log.deleted.add(m[0])
    return true
  }

  return function step () {
    const r = random()
    const kept = `[${name}-${n}]`
    const doomed = `(${name}-${n})`
    n++
    doc.transact(() => {
      if (r < 0.15) {
        // new paragraph with a kept token at a random index
        frag.insert(Math.floor(random() * (frag.length + 1)), [paragraph(kept)])
        log.kept.add(kept)
      } else if (r < 0.20) {
        // a doomed paragraph (deleted later by its author)
        frag.insert(Math.floor(random() * (frag.length + 1)), [paragraph(doomed, { doomed: name })])
        log.doomedParagraphs.add(doomed)
      } else if (r < 0.25) {
        const mine = myDoomed()
        if (mine.length) {
          const p = pick(mine)
          log.deleted.add(p.toArray()[0].toString())
          frag.delete(frag.toArray().indexOf(p), 1)
        }
      } else if (r < 0.55) {
        // kept token into a random live paragraph, at a token boundary
        const paras = liveParagraphs()
        if (!paras.length) {
          frag.insert(0, [paragraph(kept)])
        } else {
          const xt = pick(paras).toArray()[0]
          xt.insert(pick(boundaries(xt.toString())), kept)
        }
        log.kept.add(kept)
      } else if (r < 0.65) {
        const paras = liveParagraphs()
        if (paras.length) {
          const xt = pick(paras).toArray()[0]
          if (random() < 0.5 || !deleteOwnDoomedToken(xt)) {
            xt.insert(pick(boundaries(xt.toString())), doomed)
          }
        }
      } else if (r < 0.90) {
        text.insert(pick(boundaries(text.toString())), kept)
        log.kept.add(kept)
      } else {
        if (random() < 0.5 || !deleteOwnDoomedToken(text)) {
          text.insert(pick(boundaries(text.toString())), doomed)
        }
      }
    })
  }
}

scenario('three clients converge byte-for-byte after concurrent edits', { timeout: 45_000 }, async (s) => {
  const server = await s.server('sqlite')
  const alice = await server.user('alice')
  const bob = await server.user('bob')
  const carol = await server.user('carol')
  const { id } = await server.createDocument(alice)
  await server.share(alice, id, 'bob', 'editor')
  await server.share(alice, id, 'carol', 'editor')

  const clients = [alice, bob, carol].map((u) => s.client(server, id, u))
  await Promise.all(clients.map((c) => synced(c)))

  const seed = Number(process.env.INTEROP_SEED ?? Date.now() % 1_000_000)
  const log = { kept: new Set(), deleted: new Set(), doomedParagraphs: new Set() }
  const editors = clients.map((c, i) => makeEditor(c.user.username, c.doc, rng(seed * 3 + i), log))

  // Each client edits on its own timer (about 40 edits/s each), all at once.
  const start = Date.now()
  let steps = 0
  await Promise.all(editors.map(async (step) => {
    while (Date.now() - start < EDIT_MS) {
      step()
      steps++
      await sleep(15 + Math.floor(Math.random() * 20))
    }
  }))

  const docs = clients.map((c) => c.doc)
  await converged(docs)
  // Let trailing echoes drain, then compare again.
  await sleep(200)
  await converged(docs)

  const ctx = `seed=${seed} steps=${steps}`
  const updates = docs.map((d) => Buffer.from(Y.encodeStateAsUpdate(d)))
  assert.ok(updates[0].equals(updates[1]), `alice and bob encodeStateAsUpdate differ (${ctx})`)
  assert.ok(updates[0].equals(updates[2]), `alice and carol encodeStateAsUpdate differ (${ctx})`)

  const body = fragmentText(docs[0].getXmlFragment('default'))
  const plain = docs[0].getText('plain').toString()
  const all = body + '\n' + plain
  assert.ok(log.kept.size > 100, `too few inserts to mean anything (${log.kept.size}, ${ctx})`)
  const missing = [...log.kept].filter((tok) => !all.includes(tok))
  assert.deepEqual(missing, [], `kept tokens missing after sync (${ctx})`)
  const resurrected = [...log.deleted].filter((tok) => all.includes(tok))
  assert.deepEqual(resurrected, [], `deleted tokens came back (${ctx})`)
  assert.ok(log.deleted.size > 0, `no deletes happened (${ctx})`)
  for (const d of docs.slice(1)) {
    assert.equal(fragmentText(d.getXmlFragment('default')), body)
    assert.equal(d.getText('plain').toString(), plain)
  }

  // The server holds the same document: a brand-new client gets exactly this
  // state, and the REST text export contains every kept paragraph token.
  const late = s.client(server, id, alice)
  await synced(late)
  await waitFor(() => svKey(late.doc) === svKey(docs[0]), { what: 'late joiner to match' })
  assert.ok(Buffer.from(Y.encodeStateAsUpdate(late.doc)).equals(updates[0]), `late joiner's state differs (${ctx})`)
  const restText = await server.content(alice, id, 'text')
  const keptInBody = [...log.kept].filter((tok) => body.includes(tok))
  assert.ok(keptInBody.length > 20, `too few paragraph tokens (${keptInBody.length})`)
  assert.deepEqual(keptInBody.filter((tok) => !restText.includes(tok)), [], 'REST text export misses tokens')
})
