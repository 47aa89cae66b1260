// Helpers for the fault-injection tests: a private Redis server, a private
// PostgreSQL cluster that can be stopped and started at will, typists that
// keep editing a document at a steady rate, and readiness probes.
//
// Everything started here is registered with the scenario's cleanup list and
// also torn down when the test process exits, so a failing test leaves no
// Redis, PostgreSQL or data directory behind.

import { spawn, execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdtempSync, rmSync, readdirSync, existsSync, chownSync, readFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import path from 'node:path'
import { freePort, killOnExit, waitFor } from './server.mjs'
import { Y, paragraph, fragmentText } from './harness.mjs'

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
export function tcpUp (port, timeout = 15_000) {
  return waitFor(() => new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port })
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => { s.destroy(); resolve(false) })
  }), { timeout, interval: 50, what: `a listener on port ${port}` })
}

/**
 * A throw-away `redis-server` on a free port (no persistence), killed at
 * cleanup. Returns `{ port, url }`.
 */
export async function startRedis (scope) {
  const port = await freePort()
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1',
    '--save', '', '--appendonly', 'no', '--daemonize', 'no'
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  killOnExit(child)
  let log = ''
  child.stdout.on('data', (c) => { log += c })
  child.stderr.on('data', (c) => { log += c })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  scope.defer(async () => {
    child.kill('SIGKILL')
    await exited
  })
  try {
    await tcpUp(port)
  } catch (e) {
    e.message += `\nredis-server log:\n${log}`
    throw e
  }
  return { port, url: `redis://127.0.0.1:${port}` }
}

function pgBinDir () {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    : []
  if (!versions.length) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin')
  return path.join(root, versions[0], 'bin')
}

const execFileAsync = promisify(execFile)
const clusters = new Set()
process.on('exit', () => {
  for (const c of clusters) c.destroySync()
})

/**
 * A private PostgreSQL cluster in a temp directory, on its own port, for
 * tests that stop the database under a running server. As root, the cluster
 * is owned by and run as the `postgres` OS user (initdb refuses root).
 */
export class PgCluster {
  static async create (scope) {
    const cluster = new PgCluster()
    clusters.add(cluster)
    scope.defer(() => cluster.destroySync())
    await cluster.init()
    return cluster
  }

  constructor () {
    this.bin = pgBinDir()
    this.dir = mkdtempSync(path.join(tmpdir(), 'quire-pg-'))
    this.data = path.join(this.dir, 'data')
    this.logFile = path.join(this.dir, 'log')
    this.port = 0
    this.asRoot = userInfo().uid === 0
    this.running = false
  }

  command (tool, args) {
    const exe = path.join(this.bin, tool)
    return this.asRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args]
  }

  /** Runs a cluster tool without blocking the event loop (clients keep typing meanwhile). */
  async run (tool, args, { timeout = 60_000 } = {}) {
    const [cmd, argv] = this.command(tool, args)
    try {
      return (await execFileAsync(cmd, argv, { encoding: 'utf8', timeout })).stdout
    } catch (e) {
      e.message += `\n${e.stderr ?? ''}\n${this.log()}`
      throw e
    }
  }

  runSync (tool, args, { timeout = 20_000 } = {}) {
    const [cmd, argv] = this.command(tool, args)
    return execFileSync(cmd, argv, { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'] })
  }

  async init () {
    if (this.asRoot) {
      const pgUid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
      const pgGid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
      chownSync(this.dir, pgUid, pgGid)
    }
    this.port = await freePort()
    await this.run('initdb', ['-D', this.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
    await this.start()
  }

  get adminUrl () { return this.url('postgres') }
  url (db) { return `postgres://postgres@127.0.0.1:${this.port}/${db}` }

  async start () {
    this.running = true // (also when start fails half-way: cleanup stops it)
    await this.run('pg_ctl', ['-D', this.data, '-l', this.logFile, '-w', '-t', '60',
      '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`, 'start'])
    await tcpUp(this.port)
  }

  /** `pg_ctl stop -m immediate`: the server is gone at once, like a crash. */
  async stop () {
    await this.run('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop'])
    this.running = false
  }

  psql (db, sql) {
    return execFileSync(path.join(this.bin, 'psql'), [this.url(db), '-v', 'ON_ERROR_STOP=1', '-tAc', sql], {
      encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe']
    }).trim()
  }

  /** A new database on this cluster, as the `createDatabase` shape QuireServer expects. */
  database (name) {
    this.psql('postgres', `CREATE DATABASE ${name}`)
    const url = this.url(name)
    return { kind: 'postgres', url, name, drop () {} }
  }

  log () {
    try { return readFileSync(this.logFile, 'utf8').slice(-3000) } catch { return '' }
  }

  destroySync () {
    if (!clusters.has(this)) return
    clusters.delete(this)
    if (this.running) {
      try { this.runSync('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']) } catch {}
      this.running = false
    }
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** `GET /readyz` → `{ status, json, ms }` (status 0 when the request failed). */
export async function readyz (server, timeout = 2000) {
  const t0 = performance.now()
  try {
    const res = await fetch(server.base + '/readyz', { signal: AbortSignal.timeout(timeout) })
    const text = await res.text()
    let json = null
    try { json = JSON.parse(text) } catch {}
    return { status: res.status, json, ms: performance.now() - t0 }
  } catch (e) {
    return { status: 0, json: null, ms: performance.now() - t0, error: e.message }
  }
}

/** Every `[name-n]` token in `s`. */
export function tokensIn (s) {
  return s.match(/\[[^\][]+\]/g) ?? []
}

/** Token boundaries of an XmlText's string: 0 and after every `]`. */
function boundaries (str) {
  const out = [0]
  for (let i = 0; i < str.length; i++) if (str[i] === ']') out.push(i + 1)
  return out
}

/**
 * Types unique tokens `[name-n]` into the `default` XmlFragment of
 * `client.doc` every `intervalMs` (about 10 edits/s by default): a new
 * paragraph at a random index, or the token at a token boundary of a random
 * paragraph. Tokens are inserted whole and only at boundaries, so they are
 * never split and each one is in the document exactly once. The typist keeps
 * typing whether or not the provider is connected (like a user does);
 * `typed` lists every token in order. With `scope`, it stops at cleanup.
 */
export function typist (client, name, { intervalMs = 100, scope } = {}) {
  const frag = client.doc.getXmlFragment('default')
  const typed = []
  let n = 0
  let timer = null
  const step = () => {
    const tok = `[${name}-${n++}]`
    client.doc.transact(() => {
      const paras = frag.toArray().filter((p) => p instanceof Y.XmlElement)
      if (!paras.length || Math.random() < 0.4) {
        frag.insert(Math.floor(Math.random() * (frag.length + 1)), [paragraph(tok)])
      } else {
        const xt = paras[Math.floor(Math.random() * paras.length)].toArray()[0]
        const b = boundaries(xt.toString())
        xt.insert(b[Math.floor(Math.random() * b.length)], tok)
      }
    })
    typed.push(tok)
  }
  const ty = {
    name,
    client,
    typed,
    start () {
      if (timer) return
      // Jittered start so the typists do not all fire in the same tick.
      // Unref'd: a typist left running by a failed test never keeps the
      // test process alive.
      timer = setTimeout(function tick () {
        step()
        timer = setTimeout(tick, intervalMs * (0.5 + Math.random()))
        timer.unref()
      }, Math.random() * intervalMs)
      timer.unref()
    },
    stop () {
      clearTimeout(timer)
      timer = null
    }
  }
  scope?.defer(() => ty.stop())
  return ty
}

/** Text of `doc`'s `default` fragment (paragraphs joined by \n, as `?format=text`). */
export function docText (doc) {
  return fragmentText(doc.getXmlFragment('default'))
}

/** `ws` port the provider's current socket uses locally (to look it up in the balancer). */
export function localPort (client) {
  return client.provider.ws?._socket?.localPort
}
