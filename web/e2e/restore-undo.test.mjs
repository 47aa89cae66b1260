// End-to-end: undo after a version restore must neither duplicate nor resurrect text,
// for the user who restored and for collaborators whose undo history predates it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, openDoc, registerAndLogin, sleep, startServer, userContext, waitSaved, waitText } from './harness.mjs';

let server;
let browser;
const api = {};
let alice;
let bob;

const editorText = (page) => page.getByTestId('editor-content').innerText();
const serverText = async (id) => (await api.alice.ok('GET', `/api/documents/${id}/content?format=text`)).content;
const versionText = async (id, n) => (await api.alice.ok('GET', `/api/documents/${id}/versions/${n}?format=text`)).content;

/** Wait until the server's text of the document satisfies `pred` (the last value is returned). */
async function waitServerText(id, pred, timeout = 8000) {
  const until = Date.now() + timeout;
  let t;
  while (Date.now() < until) {
    t = await serverText(id);
    if (pred(t)) return t;
    await sleep(100);
  }
  return t;
}

async function newSharedDoc(title) {
  const doc = await api.alice.ok('POST', '/api/documents', { title });
  await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'editor' });
  return doc;
}

/** Put the caret right after the first occurrence of `text` in the editor. */
async function caretAfter(page, text) {
  await page.getByTestId('editor-content').evaluate((root, needle) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const i = n.data.indexOf(needle);
      if (i >= 0) {
        root.focus();
        const r = document.createRange();
        r.setStart(n, i + needle.length);
        r.collapse(true);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(r);
        return;
      }
    }
    throw new Error(`text not found: ${needle}`);
  }, text);
  // let ProseMirror pick up the DOM selection
  await sleep(100);
}

async function saveVersionVia(page, label) {
  await page.getByTestId('versions-button').click();
  await page.getByTestId('version-label').fill(label);
  await page.getByRole('button', { name: 'Save version' }).click();
  const item = page.locator(`[data-testid="version-item"][data-label="${label}"]`);
  await item.waitFor();
  return Number(await item.getAttribute('data-version'));
}

/** Press a key and leave time for the change to reach the server. */
async function pressAndSettle(page, key, times = 1) {
  for (let i = 0; i < times; i++) {
    await page.keyboard.press(key);
    await sleep(150);
  }
  await sleep(600);
  await waitSaved(page);
}

describe('undo after a restore', { timeout: 240_000 }, () => {
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

  it('the restorer’s Ctrl+Z neither duplicates text nor undoes the restore', async () => {
    const doc = await newSharedDoc('Restore then undo');
    await openDoc(alice.page, doc.id);
    const editor = alice.page.getByTestId('editor-content');
    await editor.click();
    await alice.page.keyboard.type('Alpha beta gamma.', { delay: 5 });
    await alice.page.keyboard.press('Enter');
    await alice.page.keyboard.type('Second para.', { delay: 5 });
    await waitSaved(alice.page);
    const v1 = await saveVersionVia(alice.page, 'v1');
    const restored = await versionText(doc.id, v1);
    assert.match(restored, /Alpha beta gamma\.\s+Second para\./);

    // delete " beta", then empty the second paragraph
    await caretAfter(alice.page, 'Alpha beta');
    for (let i = 0; i < 5; i++) await alice.page.keyboard.press('Backspace');
    await sleep(700); // a separate undo step
    await caretAfter(alice.page, 'Second para.');
    await alice.page.keyboard.press('Shift+Home');
    await alice.page.keyboard.press('Backspace');
    await waitSaved(alice.page);
    const edited = await waitServerText(doc.id, (t) => !t.includes('beta') && !t.includes('Second'));
    assert.ok(!edited.includes('beta') && !edited.includes('Second'), `edited: ${JSON.stringify(edited)}`);

    // restore v1 from the version sidebar
    await alice.page.getByRole('button', { name: 'Restore v1' }).click();
    await alice.page.getByTestId('restore-confirm').getByRole('button', { name: 'Restore' }).click();
    await alice.page.getByTestId('version-notice').waitFor();
    await waitText(alice.page, 'Alpha beta gamma.');
    await waitText(alice.page, 'Second para.');
    assert.equal(await waitServerText(doc.id, (t) => t === restored), restored);

    // undo right after the restore: nothing to undo, and certainly not the restore
    await editor.click();
    await pressAndSettle(alice.page, 'Control+z', 3);
    const text = await editorText(alice.page);
    assert.ok(!/beta beta/.test(text), `duplicated: ${JSON.stringify(text)}`);
    assert.equal(text.match(/Second para\./g)?.length, 1, `paragraph doubled: ${JSON.stringify(text)}`);
    assert.equal(await serverText(doc.id), restored);
    // the undo buttons agree that there is nothing left to undo
    assert.equal(await alice.page.getByRole('button', { name: /^Undo/ }).isDisabled(), true);

    // typing after the restore is undoable as usual
    await caretAfter(alice.page, 'gamma.');
    await alice.page.keyboard.type(' Delta.', { delay: 5 });
    await waitSaved(alice.page);
    await waitServerText(doc.id, (t) => t.includes('Delta.'));
    await pressAndSettle(alice.page, 'Control+z');
    assert.equal(await waitServerText(doc.id, (t) => t === restored), restored);
  });

  it('a collaborator’s Ctrl+Z after someone else’s restore does not duplicate what the restore brought back', async () => {
    const doc = await newSharedDoc('Remote restore');
    await openDoc(alice.page, doc.id);
    await openDoc(bob.page, doc.id);
    await alice.page.getByTestId('editor-content').click();
    await alice.page.keyboard.type('One two three.', { delay: 5 });
    await alice.page.keyboard.press('Enter');
    await alice.page.keyboard.type('Four five.', { delay: 5 });
    await waitSaved(alice.page);
    await waitText(bob.page, 'Four five.');
    const v1 = (await api.alice.ok('POST', `/api/documents/${doc.id}/versions`, { label: 'base' })).number;
    const restored = await versionText(doc.id, v1);

    // bob deletes " two" and adds a paragraph of his own
    await caretAfter(bob.page, 'One two');
    for (let i = 0; i < 4; i++) await bob.page.keyboard.press('Backspace');
    await sleep(700);
    await caretAfter(bob.page, 'Four five.');
    await bob.page.keyboard.press('Enter');
    await bob.page.keyboard.type('Bob extra.', { delay: 5 });
    await waitSaved(bob.page);
    await waitText(alice.page, 'Bob extra.');

    // alice restores over the API; bob only sees the change arrive on his socket
    await api.alice.ok('POST', `/api/documents/${doc.id}/restore/${v1}`);
    await waitText(bob.page, 'One two three.');
    await bob.page.waitForFunction(
      () => !document.querySelector('[data-testid="editor-content"]').innerText.includes('Bob extra.'),
      null,
      { timeout: 5000 },
    );

    await bob.page.getByTestId('editor-content').click();
    await pressAndSettle(bob.page, 'Control+z', 3);
    const text = await editorText(bob.page);
    assert.ok(!/two two/.test(text), `duplicated: ${JSON.stringify(text)}`);
    assert.ok(!text.includes('Bob extra.'), `resurrected: ${JSON.stringify(text)}`);
    await waitSaved(alice.page);
    assert.equal(await serverText(doc.id), restored);
  });

  it('a collaborator’s Ctrl+Z after a restore does not resurrect text deleted before the restored version', async () => {
    const doc = await newSharedDoc('Remote restore, older history');
    await openDoc(alice.page, doc.id);
    await openDoc(bob.page, doc.id);
    await alice.page.getByTestId('editor-content').click();
    await alice.page.keyboard.type('Keep this. Drop that.', { delay: 5 });
    await waitSaved(alice.page);
    await waitText(bob.page, 'Drop that.');
    // bob deletes " Drop that." before the version is saved
    await caretAfter(bob.page, 'Drop that.');
    for (let i = 0; i < 11; i++) await bob.page.keyboard.press('Backspace');
    await waitSaved(bob.page);
    await waitServerText(doc.id, (t) => !t.includes('Drop'));
    const v1 = (await api.alice.ok('POST', `/api/documents/${doc.id}/versions`, { label: 'base' })).number;
    const restored = await versionText(doc.id, v1);
    assert.ok(!restored.includes('Drop'));
    await sleep(700);
    // ... and types a sentence after it, which the restore removes again
    await caretAfter(bob.page, 'Keep this.');
    await bob.page.keyboard.type(' Bob later.', { delay: 5 });
    await waitSaved(bob.page);
    await waitServerText(doc.id, (t) => t.includes('Bob later.'));

    await api.alice.ok('POST', `/api/documents/${doc.id}/restore/${v1}`);
    await bob.page.waitForFunction(
      () => !document.querySelector('[data-testid="editor-content"]').innerText.includes('Bob later.'),
      null,
      { timeout: 5000 },
    );
    await bob.page.getByTestId('editor-content').click();
    await pressAndSettle(bob.page, 'Control+z', 3);
    const text = await editorText(bob.page);
    assert.ok(!text.includes('Drop that.'), `resurrected: ${JSON.stringify(text)}`);
    await waitSaved(alice.page);
    assert.equal(await serverText(doc.id), restored);
  });
});
