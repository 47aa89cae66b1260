// End-to-end across two instances: alice's browser talks to instance A, bob's to instance B.
// They share one PostgreSQL database and one Redis (the bus), so the document's text, its
// Quire events (metadata, roles, versions) and the document list's SSE stream must cross
// between the instances. Same scenarios as live.test.mjs, each asserted on the other instance.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  ApiClient,
  docText,
  launchBrowser,
  newSharedDoc as shareDoc,
  openDoc,
  registerAndLogin,
  renameVia,
  sleep,
  startCluster,
  typeAtEnd,
  userContext,
  waitSaved,
  waitText,
  until,
} from './harness.mjs';

let cluster;
let A;
let B;
let browser;
const api = {};
let alice; // browser context on A
let bob; // browser context on B

const editorText = (page) => page.getByTestId('editor-content').innerText();
// the text alone, without the other users' named carets
const plainText = (page) =>
  page.getByTestId('editor-content').evaluate((el) => {
    const copy = el.cloneNode(true);
    for (const c of copy.querySelectorAll('[data-testid="remote-caret"]')) c.remove();
    return copy.innerText ?? copy.textContent;
  });
// alice owns every document and shares it with bob, always through instance A
const newSharedDoc = (title, role, extra) => shareDoc(api.alice, 'bob', title, role, extra);
const navigations = (page) => page.evaluate(() => performance.getEntriesByType('navigation').length);

describe('live document events across two instances', { timeout: 300_000 }, () => {
  before(async () => {
    cluster = await startCluster({ instances: 2 });
    [A, B] = cluster.bases;
    // registered on different instances: one database
    api.alice = await registerAndLogin(A, 'alice');
    api.bob = await registerAndLogin(B, 'bob');
    browser = await launchBrowser();
    alice = await userContext(browser, A, 'alice');
    bob = await userContext(browser, B, 'bob');
  });

  after(async () => {
    await browser?.close().catch(() => {});
    if (process.env.E2E_CLUSTER_LOGS) for (let i = 0; i < 2; i++) console.log(`--- instance ${i} ---\n${cluster?.logs(i)}`);
    await cluster?.stop();
  });

  it('(0) the instances share the database and the session secret', async () => {
    assert.notEqual(A, B);
    // bob's session cookies from B are accepted by A
    const bobOnA = new ApiClient(A);
    bobOnA.cookies = new Map(api.bob.cookies);
    assert.equal((await bobOnA.ok('GET', '/api/auth/me')).username, 'bob');
    // a document created on A is readable on B
    const doc = await newSharedDoc('Seen on both', 'viewer');
    assert.equal((await api.bob.ok('GET', `/api/documents/${doc.id}`)).title, 'Seen on both');
  });

  it('(a) text typed on A appears on B and the other way round', async () => {
    const doc = await newSharedDoc('Typed across');
    await openDoc(alice.page, doc.id);
    await openDoc(bob.page, doc.id);

    let t0 = Date.now();
    await typeAtEnd(alice.page, 'Alice on A.');
    await waitText(bob.page, 'Alice on A.', 5000);
    console.log(`A → B text ≤ ${Date.now() - t0} ms (incl. typing)`);

    t0 = Date.now();
    await typeAtEnd(bob.page, ' Bob on B.');
    await waitText(alice.page, 'Bob on B.', 5000);
    console.log(`B → A text ≤ ${Date.now() - t0} ms (incl. typing)`);

    await waitSaved(alice.page);
    await waitSaved(bob.page);
    for (const [name, who] of [['A', api.alice], ['B', api.bob]]) {
      await until(`the server text read on ${name} has both sentences`, async () => {
        const t = await docText(who, doc.id);
        return t.includes('Alice on A.') && t.includes('Bob on B.');
      }, 8000);
    }
    await until('both editors show the same text', async () => (await plainText(alice.page)) === (await plainText(bob.page)), 5000);
    // awareness crosses too: each sees the other's named caret
    await alice.page.locator('[data-testid="remote-caret"][data-user="bob"]').waitFor({ timeout: 3000 });
    await bob.page.locator('[data-testid="remote-caret"][data-user="alice"]').waitFor({ timeout: 3000 });
  });

  it('(b) a rename and a status change on A reach bob’s title field, status and tab title on B', async () => {
    const doc = await newSharedDoc('Metadata across');
    await openDoc(alice.page, doc.id);
    await openDoc(bob.page, doc.id);

    await renameVia(alice.page, 'Renamed on A');
    await alice.page.getByTestId('status-select').selectOption('review');
    const t0 = Date.now();
    await until('bob sees the new title in the editor', async () => (await bob.page.getByTestId('title-input').inputValue()) === 'Renamed on A', 5000);
    await until('bob sees the new status', async () => (await bob.page.getByTestId('status-select').inputValue()) === 'review', 5000);
    await until('bob’s tab title follows', async () => (await bob.page.title()).startsWith('Renamed on A'), 5000);
    console.log(`metadata A → B ≤ ${Date.now() - t0} ms`);

    // a PATCH through A's API reaches B's open editor too
    const cur = await api.alice.ok('GET', `/api/documents/${doc.id}`);
    await api.alice.ok('PATCH', `/api/documents/${doc.id}`, { title: 'Patched on A', expected_version: cur.version });
    await until('bob sees the patched title', async () => (await bob.page.getByTestId('title-input').inputValue()) === 'Patched on A', 5000);
    await until('bob’s tab title follows the patch', async () => (await bob.page.title()).startsWith('Patched on A'), 5000);
    assert.equal(await navigations(bob.page), 1, 'bob’s page was not reloaded');
  });

  it('(c) demoted on A: bob’s editor on B turns read-only with a banner; promoted: editable again, and his text reaches A', async () => {
    const doc = await newSharedDoc('Roles across');
    await openDoc(alice.page, doc.id);
    await openDoc(bob.page, doc.id);
    await typeAtEnd(bob.page, 'Before.');
    await waitText(alice.page, 'Before.', 5000);

    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'viewer' });
    const t0 = Date.now();
    await bob.page.locator('[data-testid="workspace"][data-readonly="true"]').waitFor({ timeout: 3000 });
    await bob.page.getByTestId('readonly-banner').waitFor({ timeout: 3000 });
    console.log(`read-only on B after ${Date.now() - t0} ms`);
    assert.match(await bob.page.getByTestId('readonly-banner').innerText(), /only view/i);
    await bob.page.locator('[data-testid="editor-content"][contenteditable="false"]').waitFor({ timeout: 5000 });
    // typing now does nothing
    await bob.page.getByTestId('editor-content').click().catch(() => {});
    await bob.page.keyboard.type('ignored', { delay: 5 });
    await sleep(300);
    assert.ok(!(await editorText(bob.page)).includes('ignored'));

    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'editor' });
    await bob.page.locator('[data-testid="workspace"][data-readonly="false"]').waitFor({ timeout: 3000 });
    await bob.page.locator('[data-testid="editor-content"][contenteditable="true"]').waitFor({ timeout: 3000 });
    assert.equal(await bob.page.getByTestId('readonly-banner').count(), 0, 'the banner is gone');
    await typeAtEnd(bob.page, ' Promoted again.');
    await waitText(alice.page, 'Promoted again.', 5000);
    await until('bob’s text after promotion is saved (read on A)', async () => (await docText(api.alice, doc.id)).includes('Promoted again.'), 8000);
    assert.ok(!(await docText(api.alice, doc.id)).includes('ignored'));
    assert.equal(await navigations(bob.page), 1, 'bob’s page was not reloaded');
  });

  it('(d) a version saved and restored on A appears in bob’s open version sidebar on B, and the restore reaches his editor', async () => {
    const doc = await newSharedDoc('Versions across', 'editor', { body: 'First text.', body_format: 'markdown' });
    await openDoc(bob.page, doc.id);
    await bob.page.getByTestId('versions-button').click();
    await bob.page.getByTestId('version-sidebar').getByText('No saved versions yet.').waitFor();

    const v = await api.alice.ok('POST', `/api/documents/${doc.id}/versions`, { label: 'Alice milestone' });
    const t0 = Date.now();
    await bob.page.locator('[data-testid="version-item"][data-label="Alice milestone"]').waitFor({ timeout: 3000 });
    console.log(`version A → B sidebar after ${Date.now() - t0} ms`);

    // bob adds text on B, then alice restores the milestone on A
    await typeAtEnd(bob.page, ' Bob later.');
    await until('bob’s later text is saved (read on A)', async () => (await docText(api.alice, doc.id)).includes('Bob later.'), 8000);
    await api.alice.ok('POST', `/api/documents/${doc.id}/restore/${v.number}`);
    await until('the automatic “before restore” version appears on B', async () =>
      /before restore/i.test(await bob.page.getByTestId('version-list').innerText()), 3000);
    await until('the restored text reaches bob’s editor on B', async () => {
      const t = await editorText(bob.page);
      return t.includes('First text.') && !t.includes('Bob later.');
    }, 5000);
    await bob.page.getByRole('button', { name: 'Close version history' }).click();
  });

  it('(e) bob’s document list on B follows sharing, renames and unsharing done on A, without a reload', async () => {
    const first = await newSharedDoc('Listed first');
    const list = await bob.context.newPage();
    await list.goto('/');
    const row = (id) => list.locator(`[data-testid="doc-row"][data-doc-id="${id}"]`);
    await row(first.id).waitFor();
    await sleep(300); // the list's event stream is open

    let t0 = Date.now();
    const later = await newSharedDoc('Shared later on A');
    await until('a document shared on A appears in bob’s list on B', () => row(later.id).count(), 5000);
    console.log(`share A → B list after ${Date.now() - t0} ms`);
    assert.match(await row(later.id).innerText(), /Shared later on A/);

    const cur = await api.alice.ok('GET', `/api/documents/${first.id}`);
    await api.alice.ok('PATCH', `/api/documents/${first.id}`, { title: 'Listed renamed', status: 'review', expected_version: cur.version });
    await until('the list row shows the new title and status', async () => {
      const text = await row(first.id).innerText();
      return text.includes('Listed renamed') && /review/i.test(text);
    }, 5000);

    t0 = Date.now();
    await api.alice.ok('DELETE', `/api/documents/${later.id}/members/bob`);
    await until('a document unshared on A leaves bob’s list on B', async () => (await row(later.id).count()) === 0, 5000);
    console.log(`unshare A → B list after ${Date.now() - t0} ms`);
    assert.equal(await navigations(list), 1, 'the list page was not reloaded');
    await list.close();
  });
});
