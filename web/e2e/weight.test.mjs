// End-to-end: the weight of the sign-in page. An anonymous visitor opens /login (and /register); every
// script the page loads is recorded, and their compressed sizes must add up to at most 150 KB. The
// compressed size is what the browser received when the response came with a Content-Encoding; when it
// did not (a server that does not serve the precompressed siblings), it is the size of the `.br` sibling
// that scripts/precompress.mjs wrote beside the file in dist/ (else `.gz`, else the raw file). Both the
// raw and the compressed totals are printed. The editor (TipTap, ProseMirror, Yjs, y-websocket) must not
// be among the loaded scripts: a loaded chunk's source map must name none of their modules.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DIST, launchBrowser, startServer } from './harness.mjs';

const BUDGET = 150 * 1024;
const EDITOR_MODULES = /node_modules\/(@tiptap\/|prosemirror-|@handlewithcare\/prosemirror|yjs\/|y-websocket\/|y-protocols\/|y-indexeddb\/)/;

let server;
let browser;
/** Built chunks (file names in dist/assets) that contain TipTap. */
let editorChunks = [];

/** The file in dist/ a same-origin URL maps to. */
const distFile = (url) => path.join(DIST, decodeURIComponent(new URL(url).pathname));

/** Size of the compressed sibling in dist/ (`.br`, else `.gz`, else the file itself) and which one it was. */
function siblingSize(file) {
  for (const ext of ['.br', '.gz']) if (existsSync(file + ext)) return { size: statSync(file + ext).size, via: ext.slice(1) };
  return { size: statSync(file).size, via: 'raw' };
}

/** Open `route` as an anonymous visitor; the scripts it loaded, with their raw and compressed sizes. */
async function scriptsLoadedBy(route) {
  const context = await browser.newContext({ baseURL: server.base });
  const page = await context.newPage();
  const responses = [];
  page.on('response', (r) => {
    if (r.request().resourceType() === 'script') responses.push(r);
  });
  await page.goto(route, { waitUntil: 'networkidle' });
  await page.getByRole('button', { name: route === '/login' ? 'Sign in' : 'Create account' }).waitFor();
  const scripts = [];
  for (const r of responses) {
    await r.finished();
    const file = distFile(r.url());
    const raw = statSync(file).size;
    const headers = await r.allHeaders();
    const encoding = headers['content-encoding'] ?? null;
    let compressed;
    let via;
    if (encoding) {
      compressed = (await r.request().sizes()).responseBodySize;
      via = `wire (${encoding})`;
    } else {
      ({ size: compressed, via } = siblingSize(file));
      via = `dist .${via}`;
    }
    scripts.push({ url: new URL(r.url()).pathname, file, status: r.status(), raw, compressed, via, encoding, cache: headers['cache-control'] ?? null });
  }
  await context.close();
  return scripts;
}

/** The modules a built chunk was made of, from its source map. */
function chunkSources(file) {
  const map = `${file}.map`;
  if (!existsSync(map)) return [];
  return JSON.parse(readFileSync(map, 'utf8')).sources ?? [];
}

describe('web client weight', { timeout: 60_000 }, () => {
  before(async () => {
    assert.ok(existsSync(path.join(DIST, 'index.html')), 'web/dist is missing: run `npm run build` first');
    const assets = path.join(DIST, 'assets');
    editorChunks = readdirSync(assets)
      .filter((f) => f.endsWith('.js'))
      .filter((f) => chunkSources(path.join(assets, f)).some((src) => src.includes('node_modules/@tiptap/core/')));
    // without it the checks below would pass vacuously
    assert.ok(editorChunks.length >= 1, 'no built chunk contains @tiptap/core (are source maps still written?)');
    console.log(`  TipTap is in: ${editorChunks.join(', ')}`);
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  for (const route of ['/login', '/register']) {
    it(`${route} loads at most 150 KB of compressed JavaScript and not the editor`, async () => {
      const scripts = await scriptsLoadedBy(route);
      assert.ok(scripts.length > 0, 'no script was loaded');
      const raw = scripts.reduce((n, s) => n + s.raw, 0);
      const compressed = scripts.reduce((n, s) => n + s.compressed, 0);
      for (const s of scripts) {
        console.log(`  ${route} ${s.url}  ${s.status}  raw ${s.raw} B, compressed ${s.compressed} B via ${s.via}; cache-control: ${s.cache}`);
      }
      console.log(`  ${route}: ${scripts.length} scripts, raw ${(raw / 1024).toFixed(1)} KB, compressed ${(compressed / 1024).toFixed(1)} KB (budget ${BUDGET / 1024} KB)`);

      for (const s of scripts) assert.equal(s.status, 200, `${s.url} → ${s.status}`);
      assert.ok(compressed <= BUDGET, `${route} loads ${compressed} B of compressed JavaScript (budget ${BUDGET} B)`);
      const loadedEditor = scripts.filter((s) => editorChunks.includes(path.basename(s.file)));
      assert.deepEqual(loadedEditor.map((s) => s.url), [], `${route} loads the editor chunk`);
      for (const s of scripts) {
        const editorModules = chunkSources(s.file).filter((src) => EDITOR_MODULES.test(src.replaceAll('\\', '/')));
        assert.deepEqual(editorModules.slice(0, 5), [], `${s.url} carries editor modules`);
      }
    });
  }
});
