// Test scaffolding: a `scenario` wraps node:test's `test` with a hard time
// limit and a cleanup list (providers destroyed, sockets terminated, servers
// killed, databases dropped — in reverse order, also when the test fails or
// times out), and stock y-websocket clients.

import { test } from 'node:test'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import { QuireServer, createDatabase, waitFor, withTimeout } from './server.mjs'

export { Y, WebSocket, WebsocketProvider }

class Scope {
  constructor (t) {
    this.t = t
    this.cleanups = []
    this.servers = []
  }

  defer (fn) { this.cleanups.push(fn) }

  async cleanup () {
    while (this.cleanups.length) {
      const fn = this.cleanups.pop()
      try {
        await withTimeout(Promise.resolve().then(fn), 15_000, 'cleanup step')
      } catch (e) {
        console.error('cleanup failed:', e)
      }
    }
  }

  /** A `quire serve` on a fresh database of `kind` ('sqlite' | 'postgres'). */
  async server (kind = 'sqlite', opts = {}) {
    const db = createDatabase(kind)
    this.defer(() => db.drop())
    const server = new QuireServer(db, opts)
    this.servers.push(server)
    this.defer(async () => {
      try {
        await server.stop({ grace: 3000 })
      } catch {
        await server.kill9()
      }
    })
    await server.start()
    return server
  }

  /**
   * A stock WebsocketProvider on a fresh Y.Doc (or `doc`). Records every
   * status change in `client.statuses` and every close event in
   * `client.closes`; destroyed at cleanup.
   */
  client (server, docId, user, { params = {}, doc = new Y.Doc(), connect = true } = {}) {
    const provider = new WebsocketProvider(server.wsBase, docId, doc, {
      WebSocketPolyfill: WebSocket,
      disableBc: true,
      connect,
      params: { token: user.token, ...params }
    })
    const client = { doc, provider, user, statuses: [], closes: [] }
    provider.on('status', (e) => client.statuses.push(e.status))
    provider.on('connection-close', (e) => client.closes.push(e ? { code: e.code, reason: e.reason } : null))
    this.defer(() => {
      provider.destroy()
      doc.destroy()
    })
    return client
  }

  /** A raw `ws` socket; terminated at cleanup. */
  socket (url, options) {
    const ws = new WebSocket(url, options)
    ws.on('error', () => {}) // reported through 'close' / 'unexpected-response'
    this.defer(() => ws.terminate())
    return ws
  }
}

/**
 * `test(name)` with a hard `timeout` (ms) and a scope whose cleanups always
 * run. On failure the tail of each server's log is attached to the error.
 */
export function scenario (name, { timeout = 60_000, ...opts } = {}, fn) {
  return test(name, { timeout: timeout + 20_000, ...opts }, async (t) => {
    const scope = new Scope(t)
    try {
      await withTimeout(fn(scope, t), timeout, `scenario "${name}"`)
    } catch (e) {
      for (const s of scope.servers) {
        const tail = s.log.slice(-4000)
        if (tail) e.message += `\n--- quire log (port ${s.port}) ---\n${tail}`
      }
      throw e
    } finally {
      await scope.cleanup()
    }
  })
}

/** Resolves once `client.provider` has synced with the server. */
export function synced (client, timeout = 10_000) {
  return waitFor(() => client.provider.synced, { timeout, what: `${client.user.username} to sync` })
}

/** Encoded state vector as a comparable string. */
export function svKey (doc) {
  return Buffer.from(Y.encodeStateVector(doc)).toString('base64')
}

/** Waits until every doc has the same state vector. */
export function converged (docs, timeout = 15_000) {
  return waitFor(() => {
    const first = svKey(docs[0])
    return docs.every((d) => svKey(d) === first)
  }, { timeout, what: 'state vectors to converge' })
}

/** Text of every XmlText under `node`, depth first (paragraphs joined by \n). */
export function fragmentText (fragment) {
  const out = []
  const walk = (node) => {
    if (node instanceof Y.XmlText) out.push(node.toString().replace(/<[^>]*>/g, ''))
    else if (node instanceof Y.XmlElement || node instanceof Y.XmlFragment) {
      for (const child of node.toArray()) walk(child)
    }
  }
  walk(fragment)
  return out.join('\n')
}

/**
 * A paragraph `<paragraph>text</paragraph>` for the `default` fragment
 * (the y-prosemirror shape: XmlElement with an XmlText child).
 */
export function paragraph (text, attrs = {}) {
  const p = new Y.XmlElement('paragraph')
  for (const [k, v] of Object.entries(attrs)) p.setAttribute(k, v)
  const t = new Y.XmlText()
  t.insert(0, text)
  p.insert(0, [t])
  return p
}

/** Opens `url` with `ws`, resolves with the HTTP status of a refused upgrade (or 101). */
export function upgradeStatus (scope, url, options) {
  return withTimeout(new Promise((resolve) => {
    const ws = scope.socket(url, options)
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode)
      res.resume()
      ws.terminate()
    })
    ws.on('open', () => {
      resolve(101)
      ws.close()
    })
  }), 10_000, `upgrade of ${url}`)
}
