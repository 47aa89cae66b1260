// A small TCP load balancer for the fault-injection tests, the way a plain
// layer-4 balancer behaves in front of several `quire serve` instances.
//
// Each accepted connection goes to the next backend in round-robin order
// that accepts a TCP connection (a backend is live when a connect succeeds;
// a refused or timed-out connect moves on to the next one). Bytes are piped
// both ways without looking at them; when either side closes or fails, the
// other side is closed too (after the bytes already received are written),
// so the clients of a killed backend see their sockets drop and reconnect
// through the balancer to a surviving backend.

import net from 'node:net'

const CONNECT_TIMEOUT_MS = 1000

export class Balancer {
  /** `backends`: ports on 127.0.0.1, in round-robin order (may be changed later). */
  constructor (backends) {
    this.backends = [...backends]
    this.next = 0
    this.port = 0
    this.server = null
    /** Open client-side sockets, by their remote port, with the backend port they were given. */
    this.routes = new Map()
    /** Every routing decision, in order: `{ clientPort, backend }` (backend null when none was live). */
    this.history = []
    this.sockets = new Set()
  }

  get wsBase () { return `ws://127.0.0.1:${this.port}/ws/doc` }

  async start () {
    this.server = net.createServer((client) => this.accept(client))
    await new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(0, '127.0.0.1', () => resolve())
    })
    this.port = this.server.address().port
    return this
  }

  /** The backend port the client socket with local port `clientPort` is piped to (or undefined). */
  backendOf (clientPort) {
    return this.routes.get(clientPort)
  }

  /** Connections accepted so far per backend port. */
  counts () {
    const out = {}
    for (const { backend } of this.history) out[backend] = (out[backend] ?? 0) + 1
    return out
  }

  async accept (client) {
    this.track(client)
    client.setNoDelay(true)
    client.on('error', () => {})
    const clientPort = client.remotePort
    const order = this.backends.length
      ? this.backends.map((_, i) => this.backends[(this.next + i) % this.backends.length])
      : []
    this.next = (this.next + 1) % Math.max(1, this.backends.length)
    for (const port of order) {
      if (client.destroyed) return
      const upstream = await connect(port)
      if (!upstream) continue
      if (client.destroyed) {
        upstream.destroy()
        return
      }
      this.track(upstream)
      this.routes.set(clientPort, port)
      this.history.push({ clientPort, backend: port })
      // A close on one side ends the other once what was already received
      // is written (so a close frame sent just before the backend exits
      // still reaches the client); an error destroys both at once.
      const destroy = () => {
        this.routes.delete(clientPort)
        client.destroy()
        upstream.destroy()
      }
      const ended = (other) => () => {
        this.routes.delete(clientPort)
        other.end()
        setTimeout(destroy, 2000).unref()
      }
      upstream.on('error', destroy)
      client.on('error', destroy)
      upstream.on('close', ended(client))
      client.on('close', ended(upstream))
      client.pipe(upstream)
      upstream.pipe(client)
      return
    }
    this.history.push({ clientPort, backend: null })
    client.destroy()
  }

  track (socket) {
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
  }

  /** Stops listening and drops every piped connection. */
  async close () {
    if (!this.server) return
    const server = this.server
    this.server = null
    for (const s of this.sockets) s.destroy()
    await new Promise((resolve) => server.close(() => resolve()))
  }
}

/** A connected socket to 127.0.0.1:`port`, or null when the connect fails. */
function connect (port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    const fail = () => {
      socket.destroy()
      resolve(null)
    }
    const timer = setTimeout(fail, CONNECT_TIMEOUT_MS)
    socket.once('error', () => {
      clearTimeout(timer)
      fail()
    })
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.removeAllListeners('error')
      socket.setNoDelay(true)
      resolve(socket)
    })
  })
}
