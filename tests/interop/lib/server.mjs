// Spawns the real `quire` binary for the interop tests, on a throw-away
// SQLite file or a fresh PostgreSQL database, and talks to its REST API.
//
// Every server started here is also killed (SIGKILL) when the test process
// exits, so a failing or timed-out test never leaves a server behind.

import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, existsSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
export const repoRoot = path.resolve(here, '..', '..', '..')
export const QUIRE_BIN = process.env.QUIRE_BIN
  ? path.resolve(process.env.QUIRE_BIN)
  : path.join(repoRoot, 'target', 'debug', 'quire')
/** Maintenance database used to create and drop per-test databases. */
export const PG_ADMIN_URL = process.env.QUIRE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

const live = new Set()
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL') } catch {}
  }
})

/**
 * Registers another spawned process (a Redis server, say) to be killed with
 * SIGKILL when the test process exits; it is forgotten once it exits itself.
 */
export function killOnExit (child) {
  live.add(child)
  child.once('exit', () => live.delete(child))
  return child
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Polls `check` until it returns a truthy value; throws after `timeout` ms
 * with `what` (and the last error thrown by `check`, if any).
 */
export async function waitFor (check, { timeout = 10_000, interval = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout
  let lastError
  for (;;) {
    try {
      const v = await check()
      if (v) return v
    } catch (e) {
      lastError = e
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}` +
        (lastError ? ` (last error: ${lastError.message})` : ''))
    }
    await sleep(interval)
  }
}

/** Rejects if `promise` takes longer than `ms`. */
export function withTimeout (promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
    })
  ]).finally(() => clearTimeout(timer))
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort () {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

function psql (url, sql) {
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-tAc', sql], {
    encoding: 'utf8',
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'pipe']
  }).trim()
}

function pgUrlFor (dbName) {
  const u = new URL(PG_ADMIN_URL)
  u.pathname = '/' + dbName
  return u.toString()
}

/**
 * A throw-away database: `{ kind, url, count(table), drop() }`.
 * `kind` is 'sqlite' or 'postgres'.
 */
export function createDatabase (kind) {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'quire-interop-'))
    const file = path.join(dir, 'q.db')
    return {
      kind,
      url: `sqlite://${file}?mode=rwc`,
      file,
      /** Row count of `table`, read with the sqlite3 CLI (or node:sqlite on Node ≥ 22). */
      async count (table) {
        return sqliteCount(file, table)
      },
      drop () {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  }
  if (kind === 'postgres') {
    const name = `quire_interop_${Date.now()}_${randomBytes(4).toString('hex')}`
    psql(PG_ADMIN_URL, `CREATE DATABASE ${name}`)
    const url = pgUrlFor(name)
    return {
      kind,
      url,
      name,
      async count (table) {
        return Number(psql(url, `SELECT count(*) FROM ${table}`))
      },
      drop () {
        try {
          psql(PG_ADMIN_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
        } catch (e) {
          console.error(`could not drop database ${name}: ${e.message}`)
        }
      }
    }
  }
  throw new Error(`unknown database kind ${kind}`)
}

async function sqliteCount (file, table) {
  try {
    const out = execFileSync('sqlite3', [file, `SELECT count(*) FROM ${table}`], {
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    return Number(out.trim())
  } catch (e) {
    if (e.code !== 'ENOENT') throw e
  }
  // No sqlite3 CLI: node:sqlite exists from Node 22.5.
  const { DatabaseSync } = await import('node:sqlite')
  const db = new DatabaseSync(file, { readOnly: true })
  try {
    return Number(db.prepare(`SELECT count(*) AS n FROM ${table}`).get().n)
  } finally {
    db.close()
  }
}

/**
 * One `quire serve` process on `db`. `start()` may be called again after
 * `kill9()` / `stop()` to restart on the same database (and port).
 */
export class QuireServer {
  constructor (db, { env = {} } = {}) {
    this.db = db
    this.extraEnv = env
    this.port = 0
    this.child = null
    this.log = ''
    this.jwtSecret = 'interop-test-secret-' + randomBytes(24).toString('hex')
  }

  get base () { return `http://127.0.0.1:${this.port}` }
  get wsBase () { return `ws://127.0.0.1:${this.port}/ws/doc` }

  async start ({ timeout = 60_000 } = {}) {
    if (this.child) throw new Error('server already running')
    if (!existsSync(QUIRE_BIN)) {
      throw new Error(`quire binary not found at ${QUIRE_BIN} (build it with cargo build --bin quire, or set QUIRE_BIN)`)
    }
    if (!this.port) this.port = await freePort()
    const child = spawn(QUIRE_BIN, ['serve'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        RUST_LOG: process.env.QUIRE_LOG ?? 'warn',
        DATABASE_URL: this.db.url,
        BIND_ADDR: `127.0.0.1:${this.port}`,
        JWT_SECRET: this.jwtSecret,
        GROUP_COMMIT_MS: '5',
        ...this.extraEnv
      },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    this.child = child
    live.add(child)
    const append = (chunk) => {
      this.log += chunk.toString()
      if (this.log.length > 200_000) this.log = this.log.slice(-100_000)
      if (process.env.QUIRE_ECHO_LOG) process.stderr.write(chunk)
    }
    child.stdout.on('data', append)
    child.stderr.on('data', append)
    child.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        live.delete(child)
        resolve({ code, signal })
      })
    })
    let exitedEarly = null
    child.exited.then((r) => { exitedEarly = r })
    const deadline = Date.now() + timeout
    for (;;) {
      if (exitedEarly) {
        this.child = null
        throw new Error(`quire exited during start-up (${JSON.stringify(exitedEarly)}):\n${this.log}`)
      }
      try {
        const res = await fetch(this.base + '/healthz', { signal: AbortSignal.timeout(1000) })
        if (res.ok) return this
      } catch {}
      if (Date.now() > deadline) {
        await this.kill9()
        throw new Error(`quire did not become healthy in ${timeout} ms:\n${this.log}`)
      }
      await sleep(50)
    }
  }

  /** SIGKILL: no graceful shutdown, nothing flushed. */
  async kill9 () {
    const child = this.child
    if (!child) return
    this.child = null
    child.kill('SIGKILL')
    await withTimeout(child.exited, 10_000, 'quire to die after SIGKILL')
  }

  /**
   * SIGTERM (graceful), SIGKILL after `grace` ms. Resolves with the exit
   * `{ code, signal }` (undefined when the server was not running).
   */
  async stop ({ grace = 5000 } = {}) {
    const child = this.child
    if (!child) return
    this.child = null
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), grace)
    try {
      return await withTimeout(child.exited, grace + 5000, 'quire to exit')
    } finally {
      clearTimeout(timer)
    }
  }

  // ---- REST helpers ----------------------------------------------------

  async api (method, urlPath, { token, body, expect } = {}) {
    const headers = {}
    if (token) headers.authorization = `Bearer ${token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(this.base + urlPath, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000)
    })
    const text = await res.text()
    let json = null
    try { json = text ? JSON.parse(text) : null } catch {}
    if (expect !== undefined && res.status !== expect) {
      throw new Error(`${method} ${urlPath}: expected ${expect}, got ${res.status}: ${text}`)
    }
    return { status: res.status, json, text }
  }

  /** Registers and logs in `username`; returns `{ username, id, token }`. */
  async user (username, password = 'correct horse battery staple') {
    const reg = await this.api('POST', '/api/auth/register', {
      body: { username, email: `${username}@example.com`, password },
      expect: 201
    })
    const login = await this.api('POST', '/api/auth/login', {
      body: { username, password },
      expect: 200
    })
    if (!login.json?.token) throw new Error(`login gave no token: ${login.text}`)
    return { username, id: reg.json?.id ?? login.json.user?.id, token: login.json.token }
  }

  /** Creates a document owned by `owner`; returns its JSON (with `id`). */
  async createDocument (owner, fields = {}) {
    const res = await this.api('POST', '/api/documents', {
      token: owner.token,
      body: { title: 'interop', ...fields },
      expect: 201
    })
    return res.json
  }

  async share (owner, docId, username, role) {
    return (await this.api('PUT', `/api/documents/${docId}/members/${encodeURIComponent(username)}`, {
      token: owner.token,
      body: { role },
      expect: 200
    })).json
  }

  /** `GET …/content?format=` → the `content` field. */
  async content (user, docId, format = 'text') {
    const res = await this.api('GET', `/api/documents/${docId}/content?format=${format}`, {
      token: user.token,
      expect: 200
    })
    if (res.json?.format !== format) throw new Error(`content format mismatch: ${res.text}`)
    return res.json.content
  }
}
