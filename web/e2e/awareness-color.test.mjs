// End-to-end: a collaborator announcing a hostile awareness colour (CSS injection attempt)
// gets the validated colour in the caret and selection styles, nothing else.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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

    // mallory: a second browser whose awareness announces the hostile colour directly
    const mallory = await userContext(browser, server.base, 'mallory');
    try {
      await openDoc(mallory.page, doc.id);
      await mallory.page.getByTestId('editor-content').evaluate((root, color) => {
        // TipTap keeps its editor on the view's DOM node: set the awareness user as a
        // client would, before any caret of mallory's is drawn
        root.editor.commands.updateUser({ name: 'mallory', color });
        // select "Paint" so that a selection highlight is drawn for alice too
        const text = root.querySelector('p').firstChild;
        root.focus();
        const r = document.createRange();
        r.setStart(text, 0);
        r.setEnd(text, 5);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(r);
      }, HOSTILE);

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

      // the default colour at 20 % (#4b556333, as the browser serialises it), and nothing else
      for (const style of await selection.evaluateAll((ns) => ns.map((n) => n.getAttribute('style')))) {
        assert.match(style, /^background-color: rgba\(75, 85, 99, 0\.2\);?$/);
      }
      assert.equal(await caret.evaluate((n) => n.style.borderColor), DEFAULT_RGB);
      assert.equal(await caret.locator('.collaboration-carets__label').evaluate((n) => n.style.backgroundColor), DEFAULT_RGB);
      // the presence avatar uses the validated colour too
      const avatars = await alice.page.getByTestId('presence-bar').locator('[style]').evaluateAll((ns) => ns.map((n) => n.getAttribute('style')));
      assert.ok(avatars.length >= 2, `avatars: ${avatars}`);
      assert.ok(avatars.every((s) => /^background-color: (#[0-9a-f]{6}|rgb\(\d+, \d+, \d+\));?$/i.test(s)), `avatars: ${avatars}`);
      assert.ok(!requests.some((u) => u.includes('evil.invalid')), 'no request to the injected URL');
    } finally {
      await mallory.context.close();
      await alice.context.close();
    }
  });
});
