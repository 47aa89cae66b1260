// End-to-end: everything about a document is live (SPEC §10) — metadata, role changes, sign-out,
// versions, offline metadata edits with the conflict dialog, and the phone layout under axe-core.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  axeSource,
  docText,
  launchBrowser,
  newSharedDoc as shareDoc,
  openDoc,
  PASSWORD,
  registerAndLogin,
  renameVia,
  sleep,
  startServer,
  userContext,
  waitSaved,
  until,
} from './harness.mjs';

let server;
let browser;
const api = {};
let alice;
let bob;

const serverText = (id) => docText(api.alice, id);
const editorText = (page) => page.getByTestId('editor-content').innerText();
const norm = (t) => t.replace(/\s+/g, ' ').trim();

const newSharedDoc = (title, role, extra) => shareDoc(api.alice, 'bob', title, role, extra);

describe('live document events', { timeout: 300_000 }, () => {
  before(async () => {
    server = await startServer();
    for (const u of ['alice', 'bob']) api[u] = await registerAndLogin(server.base, u);
    browser = await launchBrowser();
    alice = await userContext(browser, server.base, 'alice');
    bob = await userContext(browser, server.base, 'bob');
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it('(a) a rename and a status change reach the other editor, its tab title and the document list live', async () => {
    const doc = await newSharedDoc('Live metadata');
    await openDoc(alice.page, doc.id);
    await openDoc(bob.page, doc.id);
    const list = await bob.context.newPage();
    await list.goto('/');
    const row = list.locator(`[data-testid="doc-row"][data-doc-id="${doc.id}"]`);
    await row.waitFor();
    await sleep(300); // the list's event stream is open

    await renameVia(alice.page, 'Renamed live');
    // Enter in the title moves on into the body
    assert.equal(await alice.page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'editor-content');
    await alice.page.getByTestId('status-select').selectOption('review');
    const t0 = Date.now();
    await until('bob sees the new title in the editor', async () => (await bob.page.getByTestId('title-input').inputValue()) === 'Renamed live');
    await until('bob sees the new status', async () => (await bob.page.getByTestId('status-select').inputValue()) === 'review');
    await until('bob’s tab title follows', async () => (await bob.page.title()).startsWith('Renamed live'));
    await until('the list row shows the new title and status', async () => {
      const text = await row.innerText();
      return text.includes('Renamed live') && /review/i.test(text);
    });
    console.log(`metadata propagation ≤ ${Date.now() - t0} ms`);
    // nothing was reloaded: the list page is the same document
    assert.equal(await list.evaluate(() => performance.getEntriesByType('navigation').length), 1);

    // a new document shared with bob appears in his list without a reload
    const other = await newSharedDoc('Shared later');
    await until('a newly shared document appears in the list', () =>
      list.locator(`[data-testid="doc-row"][data-doc-id="${other.id}"]`).count(),
    );
    await api.alice.ok('DELETE', `/api/documents/${other.id}/members/bob`);
    await until('an unshared document leaves the list', async () =>
      (await list.locator(`[data-testid="doc-row"][data-doc-id="${other.id}"]`).count()) === 0,
    );
    await list.close();
  });

  it('(b) demoted while typing: read-only within 1 s, later text gone from editor and server; promotion resumes editing', async () => {
    const doc = await newSharedDoc('Role change');
    await openDoc(bob.page, doc.id);
    const editor = bob.page.getByTestId('editor-content');
    await editor.click();
    await bob.page.keyboard.type('Before. ', { delay: 5 });
    await waitSaved(bob.page);

    // bob keeps typing numbered words while alice demotes him
    let typing = true;
    const typedAt = [];
    const typer = (async () => {
      for (let i = 0; typing && i < 400; i++) {
        typedAt.push({ word: `w${i}x`, at: Date.now() });
        await bob.page.keyboard.type(`w${i}x `, { delay: 10 }).catch(() => {});
      }
    })();
    let demotedAt;
    try {
      await sleep(700);
      await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'viewer' });
      demotedAt = Date.now();
      await bob.page.locator('[data-testid="workspace"][data-readonly="true"]').waitFor({ timeout: 1000 });
      await bob.page.getByTestId('readonly-banner').waitFor({ timeout: 1000 });
      assert.match(await bob.page.getByTestId('readonly-banner').innerText(), /only view/i);
      console.log(`read-only after ${Date.now() - demotedAt} ms`);
      await sleep(800);
    } finally {
      // never leave the typist running into later tests
      typing = false;
      await typer;
    }

    // the editor is back, showing only what the server has
    await bob.page.locator('[data-testid="editor-content"][contenteditable="false"]').waitFor({ timeout: 5000 });
    await sleep(1000);
    const onServer = norm(await serverText(doc.id));
    const shown = norm(await editorText(bob.page));
    assert.equal(shown, onServer, 'bob’s editor shows exactly the server’s text');
    const late = typedAt.filter((t) => t.at > demotedAt + 50).map((t) => t.word);
    assert.ok(late.length > 0, 'bob typed after the demotion');
    for (const w of late) {
      assert.ok(!onServer.includes(w), `${w} (typed after the demotion) is not on the server`);
      assert.ok(!shown.includes(w), `${w} (typed after the demotion) is not in bob’s editor`);
    }
    // typing now does nothing
    await editor.click().catch(() => {});
    await bob.page.keyboard.type('ignored', { delay: 5 });
    assert.ok(!(await editorText(bob.page)).includes('ignored'));

    // promoted back: editing resumes without a reload, and it saves
    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'editor' });
    await bob.page.locator('[data-testid="workspace"][data-readonly="false"]').waitFor({ timeout: 3000 });
    await bob.page.locator('[data-testid="editor-content"][contenteditable="true"]').waitFor({ timeout: 3000 });
    await bob.page.getByTestId('editor-content').click();
    await bob.page.keyboard.press('Control+End');
    await bob.page.keyboard.type(' Promoted again.', { delay: 5 });
    await until('bob’s text after promotion is saved', async () => (await serverText(doc.id)).includes('Promoted again.'), 8000);
    assert.equal(await bob.page.evaluate(() => performance.getEntriesByType('navigation').length), 1);
  });

  it('(c) signing out in one tab ends the session in the other tab’s editor, which keeps its unsent edits and offers to sign in again', async () => {
    const doc = await newSharedDoc('Sign out');
    const own = await userContext(browser, server.base, 'bob');
    const tabB = await own.context.newPage();
    // tab B's edits can be held back on their way to the server (the page's socket stays open)
    let holdBack = false;
    await tabB.routeWebSocket(/\/ws\/doc\//, (ws) => {
      const srv = ws.connectToServer();
      ws.onMessage((m) => {
        if (!holdBack) srv.send(m);
      });
      srv.onMessage((m) => ws.send(m));
      srv.onClose((code, reason) => ws.close({ code, reason }));
      ws.onClose((code, reason) => srv.close({ code, reason }));
    });
    await openDoc(tabB, doc.id);
    await tabB.getByTestId('editor-content').click();
    await tabB.keyboard.type('Kept text.', { delay: 5 });
    await waitSaved(tabB);
    holdBack = true;
    await tabB.keyboard.type(' Unsent words.', { delay: 5 });
    await sleep(500);
    assert.ok(!(await serverText(doc.id)).includes('Unsent words.'), 'the server has not seen them yet');

    await own.page.goto('/');
    await own.page.getByRole('button', { name: 'Sign out' }).click();
    await own.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const t0 = Date.now();
    await tabB.getByTestId('session-ended').waitFor({ timeout: 2000 });
    console.log(`session ended shown after ${Date.now() - t0} ms`);
    assert.match(await tabB.getByTestId('session-ended').innerText(), /session ended/i);
    assert.ok((await editorText(tabB)).includes('Kept text. Unsent words.'), 'the editor still shows its text');
    assert.equal(await tabB.getByTestId('editor-content').getAttribute('contenteditable'), 'false');

    // sign in again: back on the document, and the unsent words reach the server
    holdBack = false;
    await tabB.getByTestId('sign-in-again').click();
    await tabB.getByLabel('Username or email').fill('bob');
    await tabB.getByLabel('Password').fill(PASSWORD);
    await tabB.getByRole('button', { name: 'Sign in' }).click();
    await tabB.getByTestId('editor-content').filter({ hasText: 'Unsent words.' }).waitFor({ timeout: 10_000 });
    assert.ok(tabB.url().includes(`/d/${doc.id}`));
    await until('the words typed before the session ended are saved', async () => (await serverText(doc.id)).includes('Kept text. Unsent words.'), 10_000);
    await own.context.close();
  });

  it('(d) a version saved or restored by alice appears in bob’s open version sidebar', async () => {
    const doc = await newSharedDoc('Versions live', 'editor', { body: 'First text.', body_format: 'markdown' });
    await openDoc(bob.page, doc.id);
    await bob.page.getByTestId('versions-button').click();
    await bob.page.getByTestId('version-sidebar').getByText('No saved versions yet.').waitFor();
    const v = await api.alice.ok('POST', `/api/documents/${doc.id}/versions`, { label: 'Alice milestone' });
    await bob.page.locator(`[data-testid="version-item"][data-label="Alice milestone"]`).waitFor({ timeout: 2000 });
    await sleep(300);
    await api.alice.ok('POST', `/api/documents/${doc.id}/restore/${v.number}`);
    await until('the automatic “before restore” version appears', async () =>
      /before restore/i.test(await bob.page.getByTestId('version-list').innerText()),
    );
    await bob.page.getByRole('button', { name: 'Close version history' }).click();
  });

  it('(e) a rename made offline is saved on reconnect; against alice’s newer rename it opens the conflict naming her', async () => {
    const doc = await newSharedDoc('Offline rename');
    await openDoc(bob.page, doc.id);
    await bob.context.setOffline(true);
    await bob.page.getByTestId('connection-status').filter({ hasText: /offline|reconnecting/i }).waitFor({ timeout: 5000 });
    await renameVia(bob.page, 'Bob offline title');
    await bob.page.getByTestId('meta-pending').waitFor({ timeout: 2000 });
    assert.equal(await bob.page.locator('.alert-error').count(), 0, 'no red error while offline');
    await bob.context.setOffline(false);
    await until('the offline rename reaches the server', async () =>
      (await api.alice.ok('GET', `/api/documents/${doc.id}`)).title === 'Bob offline title', 10_000);
    await bob.page.getByTestId('meta-pending').waitFor({ state: 'detached', timeout: 5000 });

    // again offline, while alice renames it too
    await bob.context.setOffline(true);
    await bob.page.getByTestId('connection-status').filter({ hasText: /offline|reconnecting/i }).waitFor({ timeout: 5000 });
    await renameVia(bob.page, 'Bob second title');
    await bob.page.getByTestId('meta-pending').waitFor({ timeout: 2000 });
    await openDoc(alice.page, doc.id);
    await renameVia(alice.page, 'Alice meanwhile');
    await until('alice’s rename is saved', async () =>
      (await api.alice.ok('GET', `/api/documents/${doc.id}`)).title === 'Alice meanwhile', 5000);
    await bob.context.setOffline(false);
    const dialog = bob.page.getByTestId('conflict-dialog');
    await dialog.waitFor({ timeout: 10_000 });
    assert.match(await dialog.innerText(), /alice/);
    assert.match(await dialog.getByTestId('conflict-mine-title').innerText(), /Bob second title/);
    // the table wraps between words only: every word fits on one line of its cell
    const broken = await dialog.locator('.conflict-table').evaluate((table) => {
      const out = [];
      for (const cell of table.querySelectorAll('th, td')) {
        const st = getComputedStyle(cell);
        if (st.wordBreak === 'break-all' || st.overflowWrap === 'anywhere') out.push(`${cell.textContent}: ${st.wordBreak}/${st.overflowWrap}`);
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const re = /\S+/g;
          for (let m = re.exec(n.data); m; m = re.exec(n.data)) {
            const r = document.createRange();
            r.setStart(n, m.index);
            r.setEnd(n, m.index + m[0].length);
            if (r.getClientRects().length > 1) out.push(`“${m[0]}” is split`);
          }
        }
      }
      return out;
    });
    assert.deepEqual(broken, []);
    await bob.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: 2000 });
    assert.equal(await bob.page.getByTestId('title-input').inputValue(), 'Bob second title', 'Escape keeps bob’s value');
    await bob.page.getByTestId('meta-held').waitFor();
    assert.equal((await api.alice.ok('GET', `/api/documents/${doc.id}`)).title, 'Alice meanwhile');
  });

  it('(f) at 375 px the editor has no serious or critical axe violation and the version sidebar opens visibly', async () => {
    const doc = await newSharedDoc('Phone layout', 'editor', { tags: ['alpha', 'beta'] });
    const phone = await userContext(browser, server.base, 'bob', { viewport: { width: 375, height: 740 } });
    const page = phone.page;
    await openDoc(page, doc.id);
    // through the DevTools protocol: the page's CSP (script-src 'self') refuses an inline script
    await page.evaluate(axeSource());
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ['violations'] });
      return r.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
    });
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));

    // the status text does not overlap the avatars
    const status = await page.getByTestId('connection-status').boundingBox();
    const presence = await page.getByTestId('presence-bar').boundingBox();
    const overlap = !(status.x + status.width <= presence.x || presence.x + presence.width <= status.x ||
      status.y + status.height <= presence.y || presence.y + presence.height <= status.y);
    assert.ok(!overlap, `status ${JSON.stringify(status)} overlaps avatars ${JSON.stringify(presence)}`);

    // tag remove targets are at least 24 × 24 px
    for (const box of await page.locator('.tag-remove').evaluateAll((ns) => ns.map((n) => n.getBoundingClientRect().toJSON()))) {
      assert.ok(box.width >= 24 && box.height >= 24, `tag remove target ${box.width}×${box.height}`);
    }

    // the toolbar stays reachable while scrolling
    await page.getByTestId('editor-content').click();
    for (let i = 0; i < 40; i++) await page.keyboard.press('Enter');
    await page.mouse.wheel(0, 2000);
    await sleep(300);
    const tb = await page.locator('.toolbar').boundingBox();
    assert.ok(tb && tb.y >= 0 && tb.y < 740, `toolbar in view after scrolling (y=${tb?.y})`);

    await page.getByRole('button', { name: 'Versions' }).click();
    const sidebar = page.getByTestId('version-sidebar');
    await sidebar.waitFor();
    const box = await sidebar.boundingBox();
    assert.ok(box && box.x >= 0 && box.x < 375 && box.y < 740 && box.y + box.height > 0, `sidebar in view: ${JSON.stringify(box)}`);
    const hit = await page.evaluate(() => {
      const el = document.elementFromPoint(187, 200);
      return Boolean(el?.closest('[data-testid="version-sidebar"]'));
    });
    assert.ok(hit, 'the version sidebar is on top at the middle of the screen');
    await phone.context.close();
  });

  it('(g) the same user in two tabs is one person in the presence bar, with a count', async () => {
    const doc = await newSharedDoc('Two tabs');
    await openDoc(alice.page, doc.id);
    await openDoc(bob.page, doc.id);
    const second = await bob.context.newPage();
    await openDoc(second, doc.id);
    const bar = alice.page.getByTestId('presence-bar');
    await alice.page.locator('[data-testid="presence-user"][data-username="bob"][data-tabs="2"]').waitFor({ timeout: 5000 });
    assert.equal(await bar.getAttribute('data-count'), '2');
    assert.equal(await alice.page.locator('[data-testid="presence-user"][data-username="bob"]').count(), 1);
    assert.match(await bar.getAttribute('aria-label'), /bob, 2 tabs/);
    await second.close();
    await alice.page.locator('[data-testid="presence-user"][data-username="bob"][data-tabs="1"]').waitFor({ timeout: 5000 });
  });

  it('(h) removed from the document → “access removed”; the document deleted → “moved to the trash”', async () => {
    const doc = await newSharedDoc('Removed then deleted');
    await openDoc(bob.page, doc.id);
    await api.alice.ok('DELETE', `/api/documents/${doc.id}/members/bob`);
    await bob.page.getByTestId('forbidden-banner').waitFor({ timeout: 2000 });
    assert.match(await bob.page.getByTestId('forbidden-banner').innerText(), /access .*removed/i);

    const gone = await newSharedDoc('Deleted soon');
    await openDoc(bob.page, gone.id);
    await api.alice.ok('DELETE', `/api/documents/${gone.id}`);
    await bob.page.getByTestId('deleted-banner').waitFor({ timeout: 2000 });
    assert.match(await bob.page.getByTestId('deleted-banner').innerText(), /moved to the trash/i);
    assert.equal(await bob.page.getByTestId('editor-content').getAttribute('contenteditable'), 'false');
  });
});

