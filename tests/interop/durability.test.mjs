// Issue 3 acceptance 3: edits acknowledged with `?acks=1` (custom message
// type 100) survive `kill -9` of the server; a fresh client after the restart
// sees every one. After 200 more edits the update log stays bounded by
// compaction (document_updates < 200, at least one snapshot). Runs on
// PostgreSQL and on SQLite.

import assert from 'node:assert/strict'
import { scenario, synced, fragmentText, paragraph } from './lib/harness.mjs'
import { sleep, waitFor } from './lib/server.mjs'

const MSG_QUIRE_ACK = 100

/** lib0 varuint at the decoder's position. */
function readVarUint (decoder) {
  let num = 0
  let mult = 1
  for (;;) {
    const r = decoder.arr[decoder.pos++]
    num += (r & 0x7f) * mult
    mult *= 128
    if (r < 0x80) return num
    if (decoder.pos >= decoder.arr.length) throw new Error('truncated varuint')
  }
}

/**
 * Instruments a client: counts the sync-update frames it receives (the
 * server echoes each update to its sender too) and records every ack with
 * the number of echoes seen before it. The server enqueues the echo of an
 * update before the update can be durable, and acks only when none of the
 * connection's updates is still unsaved, so an ack that arrives after the
 * echo of our last update means everything up to it is durable.
 */
function instrument (client) {
  const stats = { echoes: 0, acks: [] }
  const p = client.provider
  const sync = p.messageHandlers[0]
  p.messageHandlers[0] = (encoder, decoder, provider, emitSynced, type) => {
    if (decoder.arr[decoder.pos] === 2) stats.echoes++
    return sync(encoder, decoder, provider, emitSynced, type)
  }
  p.messageHandlers[MSG_QUIRE_ACK] = (_encoder, decoder) => {
    stats.acks.push({ count: readVarUint(decoder), echoesBefore: stats.echoes })
  }
  return stats
}

/** `n` edits, one update each: a paragraph `${prefix}-i` at the end. */
async function burst (client, prefix, n) {
  const frag = client.doc.getXmlFragment('default')
  const tokens = []
  for (let i = 0; i < n; i++) {
    const tok = `${prefix}-${i}`
    frag.insert(frag.length, [paragraph(tok)])
    tokens.push(tok)
    if (i % 50 === 49) await sleep(20)
  }
  return tokens
}

async function durable (stats, echoesNeeded, what) {
  await waitFor(() => stats.echoes >= echoesNeeded, { timeout: 15_000, what: `${what}: echoes (${stats.echoes}/${echoesNeeded})` })
  await waitFor(() => stats.acks.some((a) => a.echoesBefore >= echoesNeeded),
    { timeout: 15_000, what: `${what}: ack after the last echo (acks: ${JSON.stringify(stats.acks.slice(-5))})` })
}

for (const kind of ['postgres', 'sqlite']) {
  scenario(`acked edits survive kill -9 and the log stays bounded (${kind})`, { timeout: 90_000 }, async (s, t) => {
    const server = await s.server(kind)
    const alice = await server.user('alice')
    const { id } = await server.createDocument(alice)

    // 1. A burst of 60 acknowledged edits, then SIGKILL.
    const writer = s.client(server, id, alice, { params: { acks: '1' } })
    const stats = instrument(writer)
    await synced(writer)
    const first = await burst(writer, 'before-kill', 60)
    await durable(stats, 60, 'first burst')
    assert.ok(stats.acks.length >= 1 && stats.acks.every((a) => a.count >= 1), `bad acks ${JSON.stringify(stats.acks)}`)

    await server.kill9()
    // The old client must not resend its state to the new server.
    writer.provider.destroy()
    await server.start()

    // 2. A brand-new client (fresh Y.Doc) sees every acknowledged edit.
    const reader = s.client(server, id, alice, { params: { acks: '1' } })
    const rstats = instrument(reader)
    await synced(reader)
    const frag = reader.doc.getXmlFragment('default')
    const afterRestart = fragmentText(frag).split('\n')
    assert.deepEqual(afterRestart, first, 'edits lost or reordered by kill -9')
    const text = await server.content(alice, id, 'text')
    for (const tok of first) assert.ok(text.includes(tok), `${tok} missing in GET content after restart`)

    // 3. 200 more edits; compaction keeps the log short.
    const second = await burst(reader, 'after-restart', 200)
    await durable(rstats, 200, 'second burst')
    const counts = await waitFor(async () => {
      const updates = await server.db.count('document_updates')
      const snapshots = await server.db.count('document_snapshots')
      return updates < 200 && snapshots >= 1 && { updates, snapshots }
    }, { timeout: 15_000, interval: 250, what: 'update log to be compacted below 200 rows with a snapshot' })
    assert.ok(counts.updates < 200, `document_updates has ${counts.updates} rows`)
    assert.ok(counts.snapshots >= 1)
    t.diagnostic(`acks (first burst): ${JSON.stringify(stats.acks)}; log rows ${counts.updates}, snapshots ${counts.snapshots}`)

    // 4. Kill again: snapshot + remaining log load back to the same document.
    await server.kill9()
    reader.provider.destroy()
    await server.start()
    const again = s.client(server, id, alice)
    await synced(again)
    assert.deepEqual(fragmentText(again.doc.getXmlFragment('default')).split('\n'), [...first, ...second],
      `content after the second kill -9 (log rows ${counts.updates}, snapshots ${counts.snapshots})`)
  })
}
