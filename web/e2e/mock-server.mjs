// A small in-memory stand-in for the Quire server, implementing the REST and
// y-websocket contract the web UI relies on. Used to develop and test the UI
// before/without the Rust binary: `node e2e/mock-server.mjs --port 8000 --web dist`.
import { randomUUID, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { WebSocketServer } from 'ws';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.map': 'application/json' };

function blockTexts(ydoc) {
  const frag = ydoc.getXmlFragment('default');
  const out = [];
  const walk = (node) => {
    if (node instanceof Y.XmlText) return node.toString().replace(/<[^>]+>/g, '');
    if (node instanceof Y.XmlElement) {
      const inner = node.toArray().map(walk).join('');
      if (['paragraph', 'heading', 'codeBlock'].includes(node.nodeName)) out.push(inner);
      return inner;
    }
    return '';
  };
  frag.toArray().forEach(walk);
  return out;
}

function escapeHtml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function wordDiff(a, b) {
  const A = a.split(/\s+/).filter(Boolean);
  const B = b.split(/\s+/).filter(Boolean);
  const dp = Array.from({ length: A.length + 1 }, () => new Array(B.length + 1).fill(0));
  for (let i = A.length - 1; i >= 0; i--)
    for (let j = B.length - 1; j >= 0; j--) dp[i][j] = A[i] === B[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const words = [];
  let i = 0;
  let j = 0;
  while (i < A.length || j < B.length) {
    if (i < A.length && j < B.length && A[i] === B[j]) words.push({ op: 'equal', text: A[i++] }), j++;
    else if (j < B.length && (i >= A.length || dp[i][j + 1] >= dp[i + 1][j])) words.push({ op: 'insert', text: B[j++] });
    else words.push({ op: 'delete', text: A[i++] });
  }
  return words;
}

function diffBlocks(from, to) {
  const blocks = [];
  const n = Math.max(from.length, to.length);
  let ins = 0;
  let del = 0;
  let changed = 0;
  for (let k = 0; k < n; k++) {
    const a = from[k];
    const b = to[k];
    if (a === b) blocks.push({ op: 'equal', words: a.split(/\s+/).filter(Boolean).map((text) => ({ op: 'equal', text })) });
    else if (a === undefined) {
      const w = b.split(/\s+/).filter(Boolean);
      ins += w.length;
      changed++;
      blocks.push({ op: 'insert', words: w.map((text) => ({ op: 'insert', text })) });
    } else if (b === undefined) {
      const w = a.split(/\s+/).filter(Boolean);
      del += w.length;
      changed++;
      blocks.push({ op: 'delete', words: w.map((text) => ({ op: 'delete', text })) });
    } else {
      const words = wordDiff(a, b);
      ins += words.filter((w) => w.op === 'insert').length;
      del += words.filter((w) => w.op === 'delete').length;
      changed++;
      blocks.push({ op: 'modify', words });
    }
  }
  return { blocks, stats: { inserted_words: ins, deleted_words: del, blocks_changed: changed } };
}

export function startMockServer({ port = 0, webDir } = {}) {
  const users = new Map(); // id -> user
  const sessions = new Map(); // sid -> user id
  const docs = new Map(); // id -> meta
  const rooms = new Map(); // id -> { ydoc, awareness, conns:Set }

  const room = (id) => {
    let r = rooms.get(id);
    if (!r) {
      const ydoc = new Y.Doc();
      const awareness = new awarenessProtocol.Awareness(ydoc);
      awareness.setLocalState(null);
      r = { ydoc, awareness, conns: new Map() };
      ydoc.on('update', (update, origin) => {
        const enc = encoding.createEncoder();
        encoding.writeVarUint(enc, 0);
        syncProtocol.writeUpdate(enc, update);
        const msg = encoding.toUint8Array(enc);
        r.conns.forEach((_ids, c) => c.readyState === 1 && c.send(msg));
        const meta = docs.get(id);
        if (meta && origin && origin.user) {
          meta.last_edited_by = origin.user.id;
          meta.last_edited_by_username = origin.user.username;
          meta.last_edited_at = new Date().toISOString();
          meta.updated_at = meta.last_edited_at;
        }
      });
      awareness.on('update', ({ added, updated, removed }, conn) => {
        const changed = added.concat(updated, removed);
        if (conn && r.conns.has(conn)) {
          const ids = r.conns.get(conn);
          added.forEach((c) => ids.add(c));
          removed.forEach((c) => ids.delete(c));
        }
        const enc = encoding.createEncoder();
        encoding.writeVarUint(enc, 1);
        encoding.writeVarUint8Array(enc, awarenessProtocol.encodeAwarenessUpdate(awareness, changed));
        const msg = encoding.toUint8Array(enc);
        r.conns.forEach((_ids, c) => c.readyState === 1 && c.send(msg));
      });
      rooms.set(id, r);
    }
    return r;
  };

  const roleOf = (meta, uid) => (meta.owner_id === uid ? 'owner' : meta.members.get(uid));
  const view = (meta, uid) => {
    const { members: _m, versions: _v, ...rest } = meta;
    return { ...rest, tags: [...meta.tags], role: roleOf(meta, uid) };
  };
  const cookieOf = (req, name) =>
    (req.headers.cookie ?? '').split(';').map((s) => s.trim().split('=')).find(([k]) => k === name)?.[1];
  const who = (req) => {
    const sid = cookieOf(req, 'quire_session');
    const auth = req.headers.authorization?.replace(/^Bearer /, '');
    const uid = sessions.get(sid ?? auth ?? '');
    return uid ? users.get(uid) : undefined;
  };

  const createDoc = (user, body) => {
    const now = new Date().toISOString();
    const id = randomUUID();
    const meta = {
      id,
      title: String(body.title ?? 'Untitled').slice(0, 200),
      status: body.status ?? 'draft',
      tags: body.tags ?? [],
      owner_id: user.id,
      owner_username: user.username,
      version: 1,
      created_at: now,
      updated_at: now,
      last_edited_by: null,
      last_edited_by_username: null,
      last_edited_at: null,
      members: new Map(),
      versions: [],
    };
    docs.set(id, meta);
    if (body.body) {
      const r = room(id);
      const frag = r.ydoc.getXmlFragment('default');
      r.ydoc.transact(() => {
        for (const line of String(body.body).split(/\n\s*\n/)) {
          const m = /^(#{1,3})\s+(.*)$/.exec(line.trim());
          const el = new Y.XmlElement(m ? 'heading' : 'paragraph');
          if (m) el.setAttribute('level', m[1].length);
          const xt = new Y.XmlText();
          el.insert(0, [xt]);
          frag.push([el]);
          let at = 0;
          (m ? m[2] : line).trim().split(/\*\*(.+?)\*\*/).forEach((part, i) => {
            if (!part) return;
            xt.insert(at, part, i % 2 ? { bold: {} } : {});
            at += part.length;
          });
          continue;
          frag.push([el]);
        }
      }, { user });
    }
    return meta;
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const err = (status, error, message, extra = {}) => send(status, { error, message, ...extra });
    let body = {};
    if (['POST', 'PUT', 'PATCH'].includes(req.method)) {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        return err(400, 'bad_request', 'invalid JSON');
      }
    }
    const p = url.pathname;
    if (p === '/healthz') return send(200, { ok: true });
    if (!p.startsWith('/api/')) {
      if (!webDir) return err(404, 'not_found', 'no web dir');
      let file = path.join(webDir, p);
      if (!file.startsWith(webDir) || !existsSync(file) || statSync(file).isDirectory()) file = path.join(webDir, 'index.html');
      res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream' });
      return createReadStream(file).pipe(res);
    }
    if (p === '/api/auth/register' && req.method === 'POST') {
      const { username, email, password } = body;
      if (!username || !email || !password || password.length < 8) return err(422, 'invalid', 'invalid registration');
      if ([...users.values()].some((u) => u.username === username || u.email === email)) return err(409, 'conflict', 'taken');
      const u = { id: randomUUID(), username, email, password, created_at: new Date().toISOString() };
      users.set(u.id, u);
      return send(201, { id: u.id, username, email, created_at: u.created_at });
    }
    if (p === '/api/auth/login' && req.method === 'POST') {
      const u = [...users.values()].find((x) => (x.username === body.username || x.email === body.username) && x.password === body.password);
      if (!u) return err(401, 'unauthorized', 'wrong username or password');
      const sid = randomBytes(16).toString('hex');
      const csrf = randomBytes(16).toString('hex');
      sessions.set(sid, u.id);
      u.csrf = csrf;
      return send(200, { token: sid, user: { id: u.id, username: u.username, email: u.email }, csrf_token: csrf }, {
        'Set-Cookie': [`quire_session=${sid}; Path=/; HttpOnly; SameSite=Strict`, `quire_csrf=${csrf}; Path=/; SameSite=Strict`],
      });
    }
    const user = who(req);
    if (!user) return err(401, 'unauthorized', 'not signed in');
    if (['POST', 'PUT', 'PATCH', 'DELETE'].includes(req.method) && !req.headers.authorization) {
      if (req.headers['x-csrf-token'] !== cookieOf(req, 'quire_csrf')) return err(403, 'csrf', 'missing CSRF token');
    }
    if (p === '/api/auth/logout') {
      sessions.delete(cookieOf(req, 'quire_session'));
      return send(204, undefined, { 'Set-Cookie': ['quire_session=; Path=/; Max-Age=0'] });
    }
    if (p === '/api/auth/me') return send(200, { id: user.id, username: user.username, email: user.email });
    if (p === '/api/users') {
      const q = (url.searchParams.get('q') ?? '').toLowerCase();
      return send(200, { items: [...users.values()].filter((u) => u.username.toLowerCase().includes(q)).map((u) => ({ id: u.id, username: u.username })) });
    }
    const visible = () => [...docs.values()].filter((d) => roleOf(d, user.id));
    if (p === '/api/search') {
      const q = (url.searchParams.get('q') ?? '').toLowerCase();
      const items = [];
      for (const d of visible()) {
        const text = blockTexts(room(d.id).ydoc).join(' ');
        const i = text.toLowerCase().indexOf(q);
        if (i >= 0 || d.title.toLowerCase().includes(q)) {
          const at = Math.max(0, i);
          const snippet = i < 0 ? escapeHtml(text.slice(0, 80)) : escapeHtml(text.slice(Math.max(0, at - 30), at)) + '<mark>' + escapeHtml(text.slice(at, at + q.length)) + '</mark>' + escapeHtml(text.slice(at + q.length, at + q.length + 50));
          items.push({ document: view(d, user.id), snippet, score: 1 });
        }
      }
      return send(200, { items, total: items.length });
    }
    if (p === '/api/documents' && req.method === 'POST') return send(201, view(createDoc(user, body), user.id));
    if (p === '/api/documents') {
      let items = visible();
      const st = url.searchParams.get('status');
      const tag = url.searchParams.get('tag');
      if (st) items = items.filter((d) => d.status === st);
      if (tag) items = items.filter((d) => d.tags.includes(tag));
      items.sort((a, b) => b.updated_at.localeCompare(a.updated_at));
      return send(200, { items: items.map((d) => view(d, user.id)), total: items.length, limit: 50, offset: 0 });
    }
    const m = /^\/api\/documents\/([^/]+)(?:\/(.*))?$/.exec(p);
    if (!m) return err(404, 'not_found', 'no route');
    const meta = docs.get(m[1]);
    if (!meta) return err(404, 'not_found', 'no such document');
    const role = roleOf(meta, user.id);
    if (!role) return err(403, 'forbidden', 'no access');
    const sub = m[2] ?? '';
    const r = room(meta.id);
    const canEdit = role !== 'viewer';
    if (!sub) {
      if (req.method === 'GET') return send(200, view(meta, user.id));
      if (req.method === 'PATCH') {
        if (!canEdit) return err(403, 'forbidden', 'viewers cannot edit');
        if (body.expected_version !== meta.version) return err(409, 'conflict', 'The document was changed by someone else.', { current: view(meta, user.id) });
        for (const k of ['title', 'status', 'tags']) if (body[k] !== undefined) meta[k] = body[k];
        meta.version += 1;
        meta.updated_at = new Date().toISOString();
        return send(200, view(meta, user.id));
      }
      if (req.method === 'DELETE') {
        if (role !== 'owner') return err(403, 'forbidden', 'owner only');
        docs.delete(meta.id);
        return send(204);
      }
    }
    if (sub === 'content') {
      const blocks = blockTexts(r.ydoc);
      const fmt = url.searchParams.get('format') ?? 'text';
      return send(200, { format: fmt, content: fmt === 'html' ? blocks.map((b) => `<p>${escapeHtml(b)}</p>`).join('') : blocks.join('\n\n') });
    }
    if (sub === 'members' && req.method === 'GET') {
      const members = [{ user_id: meta.owner_id, username: meta.owner_username, role: 'owner' }];
      meta.members.forEach((rl, uid) => members.push({ user_id: uid, username: users.get(uid).username, role: rl }));
      return send(200, { members });
    }
    const mm = /^members\/([^/]+)$/.exec(sub);
    if (mm) {
      if (role !== 'owner') return err(403, 'forbidden', 'owner only');
      const target = [...users.values()].find((u) => u.username === decodeURIComponent(mm[1]));
      if (!target) return err(404, 'not_found', 'no such user');
      if (req.method === 'PUT') meta.members.set(target.id, body.role);
      else meta.members.delete(target.id);
      return send(200, { ok: true });
    }
    if (sub === 'presence') {
      const seen = new Map();
      r.awareness.getStates().forEach((s) => s.user && seen.set(s.user.id, { id: s.user.id, username: s.user.name, connections: 1, last_seen: new Date().toISOString() }));
      return send(200, { users: [...seen.values()] });
    }
    const snapshotVersion = (label, auto) => {
      const v = {
        number: meta.versions.length + 1,
        label,
        created_by: user.id,
        created_by_username: user.username,
        created_at: new Date().toISOString(),
        auto,
        state: Y.encodeStateAsUpdate(r.ydoc),
      };
      meta.versions.push(v);
      return v;
    };
    const vjson = ({ state: _s, ...v }) => v;
    const blocksOf = (ref) => {
      if (ref === 'current') return blockTexts(r.ydoc);
      const v = meta.versions[Number(ref) - 1];
      if (!v) return null;
      const d = new Y.Doc();
      Y.applyUpdate(d, v.state);
      return blockTexts(d);
    };
    if (sub === 'versions' && req.method === 'POST') {
      if (!canEdit) return err(403, 'forbidden', 'viewers cannot save versions');
      return send(201, vjson(snapshotVersion(String(body.label ?? ''), false)));
    }
    if (sub === 'versions') return send(200, { items: meta.versions.map(vjson) });
    const dm = /^versions\/(\d+)\/diff\/(\d+|current)$/.exec(sub);
    if (dm) {
      const a = blocksOf(dm[1]);
      const b = blocksOf(dm[2]);
      if (!a || !b) return err(404, 'not_found', 'no such version');
      return send(200, { from: Number(dm[1]), to: dm[2], ...diffBlocks(a, b), unified: '' });
    }
    const vm = /^versions\/(\d+)$/.exec(sub);
    if (vm) {
      const v = meta.versions[Number(vm[1]) - 1];
      if (!v) return err(404, 'not_found', 'no such version');
      return send(200, { ...vjson(v), format: 'html', content: blocksOf(vm[1]).map((b) => `<p>${escapeHtml(b)}</p>`).join('') });
    }
    const rm = /^restore\/(\d+)$/.exec(sub);
    if (rm && req.method === 'POST') {
      if (!canEdit) return err(403, 'forbidden', 'viewers cannot restore');
      const v = meta.versions[Number(rm[1]) - 1];
      if (!v) return err(404, 'not_found', 'no such version');
      const backup = snapshotVersion(`before restore to ${v.number}`, true);
      const old = new Y.Doc();
      Y.applyUpdate(old, v.state);
      const frag = r.ydoc.getXmlFragment('default');
      r.ydoc.transact(() => {
        frag.delete(0, frag.length);
        frag.insert(0, old.getXmlFragment('default').toArray().map((n) => n.clone()));
      }, { user });
      return send(200, { restored_from: v.number, backup_version: backup.number });
    }
    return err(404, 'not_found', 'no route');
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://x');
    const m = /^\/ws\/doc\/([^/]+)$/.exec(url.pathname);
    const user = who(req) ?? users.get(sessions.get(url.searchParams.get('token') ?? ''));
    wss.handleUpgrade(req, socket, head, (conn) => {
      if (!m) return conn.close(4404, 'no such route');
      if (!user) return conn.close(4401, 'unauthenticated');
      const meta = docs.get(m[1]);
      if (!meta) return conn.close(4404, 'no such document');
      const role = roleOf(meta, user.id);
      if (!role) return conn.close(4403, 'forbidden');
      if (Number(url.searchParams.get('schema') ?? '1') < 1) return conn.close(4400, 'editor schema outdated');
      const acks = url.searchParams.get('acks') === '1';
      const r = room(meta.id);
      r.conns.set(conn, new Set());
      conn.binaryType = 'arraybuffer';
      conn.on('message', (data) => {
        const dec = decoding.createDecoder(new Uint8Array(data));
        const type = decoding.readVarUint(dec);
        if (type === 0) {
          const enc = encoding.createEncoder();
          encoding.writeVarUint(enc, 0);
          const sub = decoding.peekVarUint(dec);
          if (sub !== 0 && role === 'viewer') return; // drop viewer updates
          syncProtocol.readSyncMessage(dec, enc, r.ydoc, { user });
          if (encoding.length(enc) > 1) conn.send(encoding.toUint8Array(enc));
          if (sub !== 0 && acks) {
            const a = encoding.createEncoder();
            encoding.writeVarUint(a, 100);
            encoding.writeVarUint(a, 1);
            setTimeout(() => conn.readyState === 1 && conn.send(encoding.toUint8Array(a)), 20);
          }
        } else if (type === 1) {
          const update = decoding.readVarUint8Array(dec);
          // stamp the authenticated identity into every state
          const tmp = new awarenessProtocol.Awareness(new Y.Doc());
          awarenessProtocol.applyAwarenessUpdate(tmp, update, null);
          tmp.getStates().forEach((s) => {
            if (s.user) s.user = { ...s.user, name: user.username, id: user.id };
          });
          const ids = [...tmp.getStates().keys()];
          awarenessProtocol.applyAwarenessUpdate(r.awareness, awarenessProtocol.encodeAwarenessUpdate(tmp, ids), conn);
          // removals
          awarenessProtocol.applyAwarenessUpdate(r.awareness, update, conn);
          tmp.getStates().forEach((s, id) => {
            const cur = r.awareness.getStates().get(id);
            if (cur && cur.user) cur.user = { ...cur.user, name: user.username, id: user.id };
          });
        } else if (type === 3) {
          const enc = encoding.createEncoder();
          encoding.writeVarUint(enc, 1);
          encoding.writeVarUint8Array(enc, awarenessProtocol.encodeAwarenessUpdate(r.awareness, [...r.awareness.getStates().keys()]));
          conn.send(encoding.toUint8Array(enc));
        } else conn.close(1003, 'unsupported message');
      });
      conn.on('close', () => {
        const ids = r.conns.get(conn);
        r.conns.delete(conn);
        if (ids?.size) awarenessProtocol.removeAwarenessStates(r.awareness, [...ids], null);
      });
      // step 1 + current awareness
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, 0);
      syncProtocol.writeSyncStep1(enc, r.ydoc);
      conn.send(encoding.toUint8Array(enc));
      const states = [...r.awareness.getStates().keys()];
      if (states.length) {
        const a = encoding.createEncoder();
        encoding.writeVarUint(a, 1);
        encoding.writeVarUint8Array(a, awarenessProtocol.encodeAwarenessUpdate(r.awareness, states));
        conn.send(encoding.toUint8Array(a));
      }
    });
  });

  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        close: () => new Promise((r) => { wss.clients.forEach((c) => c.terminate()); server.close(() => r()); }),
      });
    });
  });
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const arg = (n, d) => {
    const i = process.argv.indexOf(n);
    return i > 0 ? process.argv[i + 1] : d;
  };
  const s = await startMockServer({ port: Number(arg('--port', 8000)), webDir: path.resolve(arg('--web', 'dist')) });
  console.log(`mock Quire server on http://127.0.0.1:${s.port}`);
}
