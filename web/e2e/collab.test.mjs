// End-to-end: real server binary + Debian Chromium via playwright-core.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  axeSource,
  launchBrowser,
  openDoc,
  registerAndLogin,
  screenshot,
  sleep,
  startServer,
  typeAtEnd,
  userContext,
  waitSaved,
  waitText,
} from './harness.mjs';

let server;
let browser;
let api = {}; // username -> ApiClient
let alice;
let bob;
let carol;
let doc1;
let doc2;

const editorText = (page) => page.getByTestId('editor-content').innerText();

describe('Quire web UI', { timeout: 300_000 }, () => {
  before(async () => {
    server = await startServer();
    for (const u of ['alice', 'bob', 'carol']) api[u] = await registerAndLogin(server.base, u);
    doc1 = await api.alice.ok('POST', '/api/documents', { title: 'Team notes', tags: ['team', 'weekly'] });
    doc2 = await api.alice.ok('POST', '/api/documents', {
      title: 'Launch plan',
      body: 'The quick brown fox jumps over the lazy dog.\n\nOur xylophone budget is final.',
      body_format: 'markdown',
      tags: ['launch'],
      status: 'review',
    });
    for (const d of [doc1, doc2]) {
      await api.alice.ok('PUT', `/api/documents/${d.id}/members/bob`, { role: 'editor' });
      await api.alice.ok('PUT', `/api/documents/${d.id}/members/carol`, { role: 'viewer' });
    }
    browser = await launchBrowser();
    alice = await userContext(browser, server.base, 'alice');
    bob = await userContext(browser, server.base, 'bob');
    carol = await userContext(browser, server.base, 'carol');
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it('shows the login page', async () => {
    const ctx = await browser.newContext({ baseURL: server.base, viewport: { width: 1280, height: 860 } });
    const page = await ctx.newPage();
    await page.goto('/');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Username or email').fill('alice');
    await screenshot(page, 'login');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('auth-error').waitFor();
    await page.getByLabel('Password').fill('correct-horse-battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Documents' }).waitFor();
    await ctx.close();
  });

  it('(1) two users type in the same document and see text and named carets', async () => {
    await openDoc(alice.page, doc1.id);
    await openDoc(bob.page, doc1.id);
    await typeAtEnd(alice.page, 'Hello from alice.');
    let t0 = Date.now();
    await waitText(bob.page, 'Hello from alice.', 1500);
    const latencyA = Date.now() - t0;
    await typeAtEnd(bob.page, '');
    await bob.page.keyboard.press('Enter');
    await bob.page.keyboard.type('Bob was here.', { delay: 5 });
    t0 = Date.now();
    await waitText(alice.page, 'Bob was here.', 1500);
    const latencyB = Date.now() - t0;
    console.log(`propagation: alice→bob ${latencyA} ms, bob→alice ${latencyB} ms`);
    await alice.page.locator('[data-testid="remote-caret"][data-user="bob"]').waitFor({ timeout: 3000 });
    await bob.page.locator('[data-testid="remote-caret"][data-user="alice"]').waitFor({ timeout: 3000 });
    assert.equal(await alice.page.locator('[data-testid="remote-caret"][data-user="bob"]').innerText(), 'bob');
    // presence bar lists both
    await alice.page.locator('[data-testid="presence-bar"][data-count="2"]').waitFor({ timeout: 3000 });
    const label = await alice.page.getByTestId('presence-bar').getAttribute('aria-label');
    assert.match(label, /alice/);
    assert.match(label, /bob/);
    await waitSaved(alice.page);
    await waitSaved(bob.page);
    // durable acks (?acks=1, message 100) turn the indicator into "All changes saved"
    await alice.page.locator('[data-testid="connection-status"][data-status="saved"]').waitFor({ timeout: 5000 });
    assert.equal(await alice.page.getByTestId('connection-status').innerText(), 'All changes saved');
    await screenshot(alice.page, 'editor-two-users');
  });

  it('(2) offline edits merge on reconnect and survive reload', async () => {
    await bob.context.setOffline(true);
    await bob.page.locator('[data-testid="connection-status"][data-status="offline"]').waitFor({ timeout: 5000 });
    await bob.page.getByTestId('offline-banner').waitFor();
    await bob.page.keyboard.press('Control+End');
    await bob.page.keyboard.press('Enter');
    await bob.page.keyboard.type('Offline paragraph by bob.', { delay: 5 });
    await alice.page.keyboard.press('Control+End');
    await alice.page.keyboard.press('Enter');
    await alice.page.keyboard.type('Online paragraph by alice.', { delay: 5 });
    await sleep(500);
    assert.ok(!(await editorText(alice.page)).includes('Offline paragraph by bob.'), 'offline text must not leak');
    await bob.context.setOffline(false);
    await waitText(alice.page, 'Offline paragraph by bob.', 10_000);
    await waitText(bob.page, 'Online paragraph by alice.', 10_000);
    await waitSaved(bob.page);
    await waitSaved(alice.page);
    await bob.page.reload();
    await bob.page.getByTestId('editor-content').waitFor();
    await waitText(bob.page, 'Offline paragraph by bob.');
    await waitText(bob.page, 'Online paragraph by alice.');
    await openDoc(alice.page, doc1.id);
    await waitText(alice.page, 'Offline paragraph by bob.');
    await waitText(alice.page, 'Online paragraph by alice.');
    const content = await api.alice.ok('GET', `/api/documents/${doc1.id}/content?format=text`);
    assert.match(content.content, /Offline paragraph by bob\./);
    assert.match(content.content, /Online paragraph by alice\./);
  });

  it('(3) save a version, diff it against current, restore it live for others', async () => {
    await openDoc(alice.page, doc2.id);
    await openDoc(bob.page, doc2.id);
    await waitText(alice.page, 'lazy dog.');
    await alice.page.getByTestId('versions-button').click();
    await alice.page.getByTestId('version-label').fill('draft 1');
    await alice.page.getByRole('button', { name: 'Save version' }).click();
    await alice.page.locator('[data-testid="version-item"][data-label="draft 1"]').waitFor();
    // edit: replace "dog." by "cat." and add a sentence
    const editor = alice.page.getByTestId('editor-content');
    await editor.getByText('lazy dog.').click();
    await alice.page.keyboard.press('End');
    for (let i = 0; i < 4; i++) await alice.page.keyboard.press('Backspace');
    await alice.page.keyboard.type('cat. Added sentence here.', { delay: 5 });
    await waitText(bob.page, 'Added sentence here.', 3000);
    await waitSaved(alice.page);
    await alice.page.getByRole('button', { name: 'Compare draft 1 with current' }).click();
    const diff = alice.page.getByTestId('version-diff');
    await diff.getByTestId('diff-view').waitFor();
    const ins = await diff.locator('ins[data-testid="diff-ins"]').allInnerTexts();
    const del = await diff.locator('del[data-testid="diff-del"]').allInnerTexts();
    assert.ok(ins.join(' ').includes('Added'), `insertions: ${ins}`);
    assert.ok(del.join(' ').includes('dog'), `deletions: ${del}`);
    const insStyle = await diff.locator('ins[data-testid="diff-ins"]').first().evaluate((n) => getComputedStyle(n).textDecorationLine);
    const delStyle = await diff.locator('del[data-testid="diff-del"]').first().evaluate((n) => getComputedStyle(n).textDecorationLine);
    assert.equal(insStyle, 'underline');
    assert.equal(delStyle, 'line-through');
    await screenshot(alice.page, 'version-diff');
    await diff.getByRole('button', { name: 'Restore draft 1' }).click();
    const confirm = alice.page.getByTestId('restore-confirm');
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Restore' }).click();
    await alice.page.getByTestId('version-notice').waitFor();
    // bob sees the restored text without reloading
    await waitText(bob.page, 'lazy dog.', 5000);
    await bob.page.waitForFunction(
      () => !document.querySelector('[data-testid="editor-content"]').innerText.includes('Added sentence here.'),
      null,
      { timeout: 5000 },
    );
    await waitText(alice.page, 'lazy dog.', 5000);
    await alice.page.locator('[data-testid="version-item"][data-label^="before restore" i]').waitFor({ timeout: 5000 });
  });

  it('(4) concurrent title edits: the second save gets a conflict and can keep its value', async () => {
    await openDoc(alice.page, doc2.id);
    await openDoc(bob.page, doc2.id);
    // bob is typing when alice's rename lands live: his field is not overwritten, his save meets the 409
    await bob.page.getByTestId('title-input').fill("Bob's title");
    await alice.page.getByTestId('title-input').fill("Alice's title");
    await alice.page.getByTestId('title-input').press('Enter');
    await alice.page.waitForFunction(() => document.title.startsWith("Alice's title"));
    await bob.page.waitForFunction(() => document.title.startsWith("Alice's title"));
    assert.equal(await bob.page.getByTestId('title-input').inputValue(), "Bob's title");
    await bob.page.getByTestId('title-input').press('Enter');
    const dialog = bob.page.getByTestId('conflict-dialog');
    await dialog.waitFor({ timeout: 5000 });
    assert.equal(await dialog.getByTestId('conflict-theirs-title').innerText(), "Alice's title");
    assert.equal(await dialog.getByTestId('conflict-mine-title').innerText(), "Bob's title");
    await dialog.getByRole('button', { name: 'Keep mine' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await bob.page.getByTestId('title-input').inputValue(), "Bob's title");
    const meta = await api.alice.ok('GET', `/api/documents/${doc2.id}`);
    assert.equal(meta.title, "Bob's title");
  });

  it('(5) a viewer sees live changes but cannot type', async () => {
    await openDoc(alice.page, doc1.id);
    await openDoc(carol.page, doc1.id);
    await carol.page.getByTestId('readonly-banner').waitFor();
    assert.match(await carol.page.getByTestId('readonly-banner').innerText(), /view-only access/);
    assert.equal(await carol.page.getByTestId('editor-content').getAttribute('contenteditable'), 'false');
    assert.equal(await carol.page.getByTestId('toolbar').count(), 0);
    await typeAtEnd(alice.page, ' Live for carol.');
    await waitText(carol.page, 'Live for carol.', 3000);
    await carol.page.getByTestId('editor-content').click();
    await carol.page.keyboard.type('carol sneaks in', { delay: 5 });
    await sleep(800);
    assert.ok(!(await editorText(carol.page)).includes('carol sneaks in'));
    const content = await api.alice.ok('GET', `/api/documents/${doc1.id}/content?format=text`);
    assert.ok(!content.content.includes('carol sneaks in'));
  });

  it('(6) the list shows badges and last-edited info; search finds body words', async () => {
    await alice.page.goto('/');
    await alice.page.getByTestId('doc-row').first().waitFor();
    const row = alice.page.locator('[data-testid="doc-row"]', { hasText: "Bob's title" });
    await row.waitFor();
    assert.match(await row.getByTestId('status-badge').innerText(), /^in review$/i);
    assert.equal(await row.getByTestId('status-badge').getAttribute('data-status'), 'review');
    const notes = alice.page.locator('[data-testid="doc-row"]', { hasText: 'Team notes' });
    assert.match(await notes.getByTestId('last-edited').innerText(), /Last edited by (alice|bob) · (just now|\d+ min ago)/);
    await screenshot(alice.page, 'document-list');
    await alice.page.getByLabel('Search documents').fill('xylophone');
    const hit = alice.page.getByTestId('search-hit').first();
    await hit.waitFor({ timeout: 5000 });
    assert.match(await hit.innerText(), /Bob's title/);
    assert.match(await hit.locator('mark').first().innerText(), /xylophone/i);
    await screenshot(alice.page, 'search');
  });

  it('(7) axe-core finds no serious or critical violations on list and editor', async () => {
    const src = axeSource();
    const scan = async (page) => {
      // Evaluated through the DevTools protocol: the page's Content-Security-
      // Policy (script-src 'self') rightly refuses an injected inline script.
      await page.evaluate(src);
      return page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
      });
    };
    await alice.page.goto('/');
    await alice.page.getByTestId('doc-row').first().waitFor();
    const listViolations = await scan(alice.page);
    await openDoc(alice.page, doc1.id);
    await alice.page.getByTestId('versions-button').click();
    await alice.page.getByTestId('version-sidebar').waitFor();
    const editorViolations = await scan(alice.page);
    await openDoc(carol.page, doc1.id);
    const viewerViolations = await scan(carol.page);
    assert.deepEqual({ list: listViolations, editor: editorViolations, viewer: viewerViolations }, { list: [], editor: [], viewer: [] });
  });

  it('creates a document from Markdown and manages sharing', async () => {
    await alice.page.goto('/');
    await alice.page.getByRole('button', { name: 'New document' }).click();
    const dialog = alice.page.getByTestId('create-dialog');
    await dialog.getByLabel('Title').fill('Style guide');
    await dialog.getByLabel('Tags').fill('docs, style');
    await dialog.getByLabel('Initial content (Markdown, optional)').fill('# Voice\n\nWrite **plainly**.');
    await dialog.getByRole('button', { name: 'Create document' }).click();
    await alice.page.getByTestId('editor-content').locator('h1', { hasText: 'Voice' }).waitFor();
    await alice.page.getByTestId('editor-content').locator('strong', { hasText: 'plainly' }).waitFor();
    assert.equal(await alice.page.getByTestId('title-input').inputValue(), 'Style guide');
    await alice.page.getByTestId('share-button').click();
    const share = alice.page.getByTestId('share-dialog');
    await share.getByLabel('Add people by username').fill('carol');
    await share.getByLabel('Role', { exact: true }).selectOption('viewer');
    await share.getByRole('button', { name: 'Share' }).click();
    await share.locator('[data-testid="member"][data-username="carol"]').waitFor();
    await share.getByLabel('Role for carol').selectOption('editor');
    await share.getByText("Updated carol's role.").waitFor();
    const id = alice.page.url().split('/d/')[1];
    let members = (await api.alice.ok('GET', `/api/documents/${id}/members`)).members;
    assert.equal(members.find((m) => m.username === 'carol')?.role, 'editor');
    await share.getByRole('button', { name: 'Remove carol' }).click();
    await share.locator('[data-testid="member"][data-username="carol"]').waitFor({ state: 'detached' });
    members = (await api.alice.ok('GET', `/api/documents/${id}/members`)).members;
    assert.ok(!members.some((m) => m.username === 'carol'));
    await share.getByRole('button', { name: 'Close dialog' }).click();
    await alice.page.getByRole('button', { name: 'Move document to trash' }).click();
    await alice.page.getByTestId('delete-confirm').getByRole('button', { name: 'Move to trash' }).click();
    await alice.page.getByRole('heading', { name: 'Documents' }).waitFor();
    assert.equal((await api.alice.call('GET', `/api/documents/${id}`)).status, 404);
  });

  it('a viewer removed while connected sees the editor lock with an explanation', async () => {
    await openDoc(carol.page, doc1.id);
    await api.alice.ok('DELETE', `/api/documents/${doc1.id}/members/carol`);
    await carol.page.getByTestId('forbidden-banner').waitFor({ timeout: 10_000 });
    assert.equal(await carol.page.getByTestId('connection-status').getAttribute('data-status'), 'closed');
    await api.alice.ok('PUT', `/api/documents/${doc1.id}/members/carol`, { role: 'viewer' });
  });

  it('fits a 375 px wide screen', async () => {
    const { context, page } = await userContext(browser, server.base, 'bob', { viewport: { width: 375, height: 740 } });
    await page.goto('/');
    await page.getByTestId('doc-row').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `list overflows by ${overflow}px`);
    await openDoc(page, doc1.id);
    const overflow2 = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow2 <= 0, `editor overflows by ${overflow2}px`);
    await screenshot(page, 'editor-mobile');
    await context.close();
  });
});
