// End-to-end: a collaborator announcing a hostile awareness colour (CSS injection attempt)
// gets the validated colour in the caret and selection styles, nothing else.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { launchBrowser, openDoc, registerAndLogin, sleep, startServer, userContext, waitText } from './harness.mjs';

const HOSTILE = 'red; background:url(//evil.invalid/x.png)';
const DEFAULT_RGB = 'rgb(75, 85, 99)'; // #4b5563, the fallback colour

let server;
let browser;
const api = {};

describe('awareness colours', { timeout: 120_000 }, () => {
  before(async () => {
    server = await startServer();
    for (const u of ['alice', 'mallory']) api[u] = await registerAndLogin(server.base, u);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it('a hostile colour from another client never reaches a style attribute', async () => {
    const doc = await api.alice.ok('POST', '/api/documents', {
      title: 'Colours',
      body: 'Paint me carefully.',
      body_format: 'markdown',
    });
    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/mallory`, { role: 'editor' });
    const alice = await userContext(browser, server.base, 'alice');
    const requests = [];
    alice.page.on('request', (r) => requests.push(r.url()));
    await openDoc(alice.page, doc.id);
    await waitText(alice.page, 'Paint me carefully.');

    // mallory: a stock y-websocket client that sets its awareness state directly
    const { token } = await api.mallory.ok('POST', '/api/auth/login', { username: 'mallory', password: 'correct-horse-battery' });
    const ydoc = new Y.Doc();
    const provider = new WebsocketProvider(`${server.base.replace(/^http/, 'ws')}/ws/doc`, doc.id, ydoc, {
      WebSocketPolyfill: WebSocket,
      params: { token },
      disableBc: true,
    });
    try {
      await new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('mallory did not sync')), 10_000);
        provider.once('sync', () => {
          clearTimeout(t);
          resolve();
        });
      });
      const para = ydoc.getXmlFragment('default').get(0);
      const text = para.get(0);
      assert.ok(text instanceof Y.XmlText, 'first paragraph holds text');
      const rel = (i) => Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, i));
      provider.awareness.setLocalState({
        user: { name: 'mallory', color: HOSTILE },
        cursor: { anchor: rel(0), head: rel(5) },
      });

      const caret = alice.page.locator('[data-testid="remote-caret"][data-user="mallory"]');
      await caret.waitFor({ timeout: 5000 });
      const selection = alice.page.locator('.collaboration-carets__selection[data-user="mallory"]');
      await selection.first().waitFor({ timeout: 5000 });
      await alice.page.locator('[data-testid="presence-bar"][data-count="2"]').waitFor({ timeout: 5000 });
      await sleep(300);

      const styles = await alice.page.evaluate(() =>
        [...document.querySelectorAll('[style]')].map((el) => ({
          tag: el.tagName,
          cls: el.className,
          style: el.getAttribute('style'),
        })),
      );
      const bad = styles.filter((s) => /url\(|evil|;\s*background\s*:/i.test(s.style));
      assert.deepEqual(bad, [], 'no style carries anything of the hostile value');

      assert.equal(await selection.first().getAttribute('style'), 'background-color: #4b556333');
      assert.equal(await caret.evaluate((n) => n.style.borderColor), DEFAULT_RGB);
      assert.equal(await caret.locator('.collaboration-carets__label').evaluate((n) => n.style.backgroundColor), DEFAULT_RGB);
      // the presence avatar uses the validated colour too
      const avatars = await alice.page.getByTestId('presence-bar').locator('[style]').evaluateAll((ns) => ns.map((n) => n.getAttribute('style')));
      assert.ok(avatars.length >= 2, `avatars: ${avatars}`);
      assert.ok(avatars.every((s) => /^background-color: (#[0-9a-f]{6}|rgb\(\d+, \d+, \d+\));?$/i.test(s)), `avatars: ${avatars}`);
      assert.ok(!requests.some((u) => u.includes('evil.invalid')), 'no request to the injected URL');
    } finally {
      provider.destroy();
      ydoc.destroy();
      await alice.context.close();
    }
  });
});
