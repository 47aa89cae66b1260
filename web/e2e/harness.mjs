// Shared e2e harness: starts the real `quire serve` binary,
// registers users through the API and opens Chromium contexts logged in as them.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB_DIR = path.resolve(here, '..');
export const REPO_DIR = path.resolve(WEB_DIR, '..');
export const DIST = path.join(WEB_DIR, 'dist');
export const SHOTS = path.join(REPO_DIR, 'docs', 'screenshots');
export const PASSWORD = 'correct-horse-battery';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const execFileP = promisify(execFile);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(base, proc, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc && proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await sleep(200);
  }
  throw new Error('server did not become healthy');
}

/**
 * Spawn one `quire serve` on a free port and wait until it is healthy; returns
 * { base, port, logs, stop }. `env` is added to (and overrides) the defaults:
 * the test JWT secret, the built web UI, RUST_LOG. DATABASE_URL comes from the caller.
 */
export async function spawnQuire({ env = {}, label = 'server' } = {}) {
  const bin = path.resolve(WEB_DIR, process.env.QUIRE_BIN ?? '../target/debug/quire');
  const port = await freePort();
  let logs = '';
  const proc = spawn(bin, ['serve'], {
    env: {
      ...process.env,
      BIND_ADDR: `127.0.0.1:${port}`,
      JWT_SECRET: 'test-secret',
      QUIRE_WEB_DIR: DIST,
      RUST_LOG: process.env.RUST_LOG ?? 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d) => (logs += d));
  proc.stderr.on('data', (d) => (logs += d));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(base, proc);
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${e.message}\n--- ${label} log ---\n${logs.slice(-4000)}`);
  }
  return {
    base,
    port,
    logs: () => logs,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([exited, sleep(5000)]);
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      }
    },
  };
}

/** Start a server on a fresh SQLite database, with `env` added to (or overriding) its environment; returns { base, logs, stop }. */
export async function startServer({ env = {} } = {}) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'quire-e2e-'));
  const server = await spawnQuire({ env: { DATABASE_URL: `sqlite://${tmp}/q.db?mode=rwc`, ...env } });
  return {
    base: server.base,
    logs: server.logs,
    stop: async () => {
      await server.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

const PG_URL = process.env.QUIRE_E2E_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const REDIS_URL = process.env.QUIRE_E2E_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function psql(sql) {
  try {
    await execFileP('psql', [`${PG_URL}/postgres`, '-v', 'ON_ERROR_STOP=1', '-qAt', '-c', sql]);
  } catch (e) {
    throw new Error(`psql ${JSON.stringify(sql)}: ${e.stderr || e.message}`);
  }
}

/**
 * Start `instances` servers sharing one fresh PostgreSQL database (created here, dropped by
 * stop) and one Redis, each with its own port and INSTANCE_ID; returns { bases, logs(i), stop }.
 */
export async function startCluster({ instances = 2, env = {} } = {}) {
  const tag = `${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const db = `quire_e2e_${tag}`;
  await psql(`CREATE DATABASE "${db}"`);
  const servers = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await psql(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
  };
  try {
    // one after another: the first runs the migrations
    for (let i = 0; i < instances; i++) {
      const id = `e2e-${tag}-${String.fromCharCode(97 + i)}`;
      servers.push(
        await spawnQuire({
          label: id,
          env: { DATABASE_URL: `${PG_URL}/${db}`, REDIS_URL, INSTANCE_ID: id, ...env },
        }),
      );
    }
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
  return { bases: servers.map((s) => s.base), logs: (i) => servers[i].logs(), stop };
}

/** Minimal cookie-keeping API client for setting up data (with CSRF). */
export class ApiClient {
  constructor(base) {
    this.base = base;
    this.cookies = new Map();
  }
  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  async call(method, p, body) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.cookies.size) headers.Cookie = this.cookieHeader();
    if (method !== 'GET' && this.cookies.has('quire_csrf')) headers['X-CSRF-Token'] = this.cookies.get('quire_csrf');
    const res = await fetch(this.base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const c of res.headers.getSetCookie?.() ?? []) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      this.cookies.set(kv.slice(0, i).trim(), kv.slice(i + 1).trim());
    }
    const text = await res.text();
    let data;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = text;
    }
    return { status: res.status, data };
  }
  async ok(method, p, body) {
    const r = await this.call(method, p, body);
    if (r.status >= 300) throw new Error(`${method} ${p} → ${r.status} ${JSON.stringify(r.data)}`);
    return r.data;
  }
}

export async function registerAndLogin(base, username) {
  const api = new ApiClient(base);
  const reg = await api.call('POST', '/api/auth/register', { username, email: `${username}@example.test`, password: PASSWORD });
  if (reg.status !== 201) throw new Error(`register ${username}: ${reg.status} ${JSON.stringify(reg.data)}`);
  await api.ok('POST', '/api/auth/login', { username, password: PASSWORD });
  return api;
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
}

/** A browser context logged in as `username` (login through the real API, cookies shared with the page). */
export async function userContext(browser, base, username, opts = {}) {
  const context = await browser.newContext({ baseURL: base, viewport: opts.viewport ?? { width: 1280, height: 860 } });
  const r = await context.request.post('/api/auth/login', { data: { username, password: PASSWORD } });
  if (!r.ok()) throw new Error(`login ${username} → ${r.status()}`);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[${username}] pageerror:`, e.message));
  return { context, page };
}

/** Open a document in the editor and wait until it is live. */
export async function openDoc(page, id) {
  await page.goto(`/d/${id}`);
  await page.getByTestId('editor-content').waitFor();
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid="connection-status"]')?.getAttribute('data-status');
    return s === 'synced' || s === 'saved';
  }, null, { timeout: 15_000 });
}

export async function typeAtEnd(page, text) {
  const editor = page.getByTestId('editor-content');
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text, { delay: 5 });
}

export async function waitText(page, text, timeout = 5000) {
  await page.getByTestId('editor-content').filter({ hasText: text }).waitFor({ timeout });
}

export async function waitSaved(page, timeout = 10_000) {
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid="connection-status"]')?.getAttribute('data-status');
    return s === 'saved' || s === 'synced';
  }, null, { timeout });
}

/** Rename the open document through its title field (Enter commits and moves on into the body). */
export async function renameVia(page, title) {
  const input = page.getByTestId('title-input');
  await input.fill(title);
  await input.press('Enter');
}

/** The document's text as the server has it. */
export async function docText(api, id) {
  return (await api.ok('GET', `/api/documents/${id}/content?format=text`)).content;
}

/** `owner` creates a document (POST /api/documents with `extra`) and gives `member` `role` on it. */
export async function newSharedDoc(owner, member, title, role = 'editor', extra = {}) {
  const doc = await owner.ok('POST', '/api/documents', { title, ...extra });
  await owner.ok('PUT', `/api/documents/${doc.id}/members/${member}`, { role });
  return doc;
}

export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

export function axeSource() {
  return readFileSync(path.join(WEB_DIR, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
}

/**
 * Serious and critical axe-core violations on the page, one line each. axe is injected through the
 * DevTools protocol: the page's CSP (script-src 'self') refuses an inline script.
 */
export async function seriousAxeViolations(page) {
  await page.evaluate(axeSource());
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
}

/** Resolve when `fn()` is truthy (polling every 50 ms), or fail after `timeout` ms naming `what`. */
export async function until(what, fn, timeout = 2000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await sleep(50);
  }
  throw new Error(`not within ${timeout} ms: ${what} (last: ${JSON.stringify(last)})`);
}

/** Select the first occurrence of `word` in the editor (a DOM selection ProseMirror picks up). */
export async function selectWord(page, word) {
  await page.getByTestId('editor-content').click();
  const ok = await page.evaluate((w) => {
    const root = document.querySelector('[data-testid="editor-content"]');
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const i = n.data.indexOf(w);
      if (i < 0) continue;
      const r = document.createRange();
      r.setStart(n, i);
      r.setEnd(n, i + w.length);
      const s = window.getSelection();
      s.removeAllRanges();
      s.addRange(r);
      return true;
    }
    return false;
  }, word);
  if (!ok) throw new Error(`"${word}" is not in the editor`);
  await sleep(150); // selectionchange → editor state
}
