// End-to-end: the document Trash. Alice owns a document shared with Bob as editor; Bob has it open. Alice moves
// it to the trash from her editor ("Move to trash"); Bob's editor says it was moved to the trash and stops
// editing; the document is 404 and listed in GET /api/trash. Alice restores it from the Trash page; Bob reloads
// and edits it again with its text intact. Alice moves it to the trash again and deletes it forever from the
// Trash (confirmed first): GET /api/trash no longer lists it and the document is 404 for good. On the way:
// the "Moved to the trash" notice's Undo, axe-core on the Trash page (with a row and empty), and the list page
// with its Trash link fitting a 375 px wide screen.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, openDoc, registerAndLogin, seriousAxeViolations, startServer, userContext, waitText } from './harness.mjs';

const TITLE = 'Quarterly plan';
const TEXT = 'The trash keeps this text.';

let server;
let browser;
const api = {};
let alice;
let bob;
let doc;

/** Alice moves the open document to the trash from the editor's bar, confirming the dialog. */
async function moveToTrashFromEditor(page) {
  await page.getByRole('button', { name: 'Move document to trash' }).click();
  const dialog = page.getByTestId('delete-confirm');
  await dialog.waitFor();
  const text = await dialog.innerText();
  assert.match(text, new RegExp(`Move “${TITLE}” to the trash\\?`));
  assert.match(text, /You can restore it from the Trash for 30 days\./);
  await dialog.getByRole('button', { name: 'Move to trash' }).click();
  await page.getByRole('heading', { level: 1, name: 'Documents' }).waitFor();
}

const trashIds = async () => (await api.alice.ok('GET', '/api/trash')).items.map((d) => d.id);

describe('trash', { timeout: 240_000 }, () => {
  before(async () => {
    server = await startServer();
    for (const u of ['alice', 'bob']) api[u] = await registerAndLogin(server.base, u);
    doc = await api.alice.ok('POST', '/api/documents', { title: TITLE, body: TEXT, body_format: 'markdown' });
    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'editor' });
    browser = await launchBrowser();
    alice = await userContext(browser, server.base, 'alice');
    bob = await userContext(browser, server.base, 'bob');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('moving to the trash closes open editors with a message; the document is only in the trash', async () => {
    await openDoc(bob.page, doc.id);
    await waitText(bob.page, TEXT);
    await openDoc(alice.page, doc.id);
    await moveToTrashFromEditor(alice.page);
    const notice = alice.page.getByTestId('trash-notice');
    await notice.waitFor();
    assert.match(await notice.innerText(), /Moved to the trash/);

    const banner = bob.page.getByTestId('deleted-banner');
    await banner.waitFor({ timeout: 5000 });
    assert.match(await banner.innerText(), /This document was moved to the trash by its owner\./);
    assert.equal(await bob.page.getByTestId('editor-content').getAttribute('contenteditable'), 'false');

    assert.equal((await api.alice.call('GET', `/api/documents/${doc.id}`)).status, 404);
    assert.equal((await api.bob.call('GET', `/api/documents/${doc.id}`)).status, 404);
    const { items } = await api.alice.ok('GET', '/api/trash');
    const item = items.find((d) => d.id === doc.id);
    assert.ok(item, 'listed in the trash');
    assert.equal(item.title, TITLE);
    assert.ok(!Number.isNaN(Date.parse(item.deleted_at)) && !Number.isNaN(Date.parse(item.purge_at)));
    assert.deepEqual((await api.bob.ok('GET', '/api/trash')).items, [], "not in the editor's trash");
  });

  it('the Trash page lists it (axe: no serious issues) and Restore brings it back for Bob with its text', async () => {
    await alice.page.getByTestId('trash-link').click();
    await alice.page.getByRole('heading', { level: 1, name: 'Trash' }).waitFor();
    assert.equal(await alice.page.title(), 'Trash · Quire');
    const row = alice.page.locator(`[data-testid="trash-row"][data-doc-id="${doc.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(TITLE));
    assert.match(await row.getByTestId('purge-countdown').innerText(), /^Deleted forever in (29|30) days$/);
    assert.deepEqual(await seriousAxeViolations(alice.page), []);

    await row.getByRole('button', { name: `Restore “${TITLE}”` }).click();
    const restored = alice.page.getByTestId('restored-notice');
    await restored.waitFor();
    assert.equal(await restored.getByRole('link', { name: 'Open the document' }).getAttribute('href'), `/d/${doc.id}`);
    await row.waitFor({ state: 'detached' });
    assert.ok(!(await trashIds()).includes(doc.id));
    assert.equal((await api.alice.ok('GET', `/api/documents/${doc.id}`)).title, TITLE);

    await bob.page.reload();
    await openDoc(bob.page, doc.id);
    await waitText(bob.page, TEXT);
    assert.equal(await bob.page.getByTestId('editor-content').getAttribute('contenteditable'), 'true');
  });

  it('Undo on the “Moved to the trash” notice restores the document', async () => {
    await openDoc(alice.page, doc.id);
    await moveToTrashFromEditor(alice.page);
    const notice = alice.page.getByTestId('trash-notice');
    await notice.getByRole('button', { name: 'Undo' }).click();
    await notice.getByText(/Restored “/).waitFor();
    assert.equal((await api.alice.call('GET', `/api/documents/${doc.id}`)).status, 200);
    assert.ok(!(await trashIds()).includes(doc.id));
  });

  it('Delete forever asks first, then purges: gone from the trash and 404', async () => {
    await openDoc(alice.page, doc.id);
    await moveToTrashFromEditor(alice.page);
    assert.ok((await trashIds()).includes(doc.id));
    await alice.page.getByTestId('trash-link').click();
    const row = alice.page.locator(`[data-testid="trash-row"][data-doc-id="${doc.id}"]`);
    await row.waitFor();

    await row.getByRole('button', { name: `Delete forever “${TITLE}”` }).click();
    let dialog = alice.page.getByTestId('purge-confirm');
    await dialog.waitFor();
    const text = await dialog.innerText();
    assert.match(text, new RegExp(`Delete “${TITLE}” forever\\?`));
    assert.match(text, /Its versions, comments and media are deleted too\. This cannot be undone\./);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.ok((await trashIds()).includes(doc.id), 'Cancel keeps it');

    await row.getByRole('button', { name: `Delete forever “${TITLE}”` }).click();
    dialog = alice.page.getByTestId('purge-confirm');
    await dialog.getByRole('button', { name: 'Delete forever' }).click();
    await alice.page.getByTestId('purged-notice').waitFor();
    await alice.page.getByTestId('trash-empty').waitFor();
    assert.deepEqual(await seriousAxeViolations(alice.page), []);

    assert.ok(!(await trashIds()).includes(doc.id));
    assert.equal((await api.alice.call('GET', `/api/documents/${doc.id}`)).status, 404);
    assert.equal((await api.alice.call('POST', `/api/trash/${doc.id}/restore`)).status, 404);
    assert.equal((await api.bob.call('GET', `/api/documents/${doc.id}`)).status, 404);
  });

  it('the document list with its Trash link fits a 375 px wide screen', async () => {
    const phone = await userContext(browser, server.base, 'alice', { viewport: { width: 375, height: 740 } });
    try {
      await phone.page.goto('/');
      await phone.page.getByTestId('trash-link').waitFor();
      const widths = await phone.page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        header: document.querySelector('.app-header')?.scrollWidth ?? 0,
      }));
      assert.ok(widths.page <= 375 && widths.header <= 375, JSON.stringify(widths));
      await phone.page.goto('/trash');
      await phone.page.getByTestId('trash-empty').waitFor();
      assert.ok((await phone.page.evaluate(() => document.documentElement.scrollWidth)) <= 375);
    } finally {
      await phone.context.close();
    }
  });
});
