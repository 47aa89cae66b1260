// End-to-end: suggesting mode (SPEC §11). Bob (editor) switches to Suggesting and replaces a word; Alice
// sees the suggestion inline with Bob's name; exports, version text and search keep the original word
// until Alice accepts; a rejected suggestion leaves no trace; undo works within the mode.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, openDoc, registerAndLogin, sleep, startServer, userContext, waitSaved, until as pollUntil, selectWord } from './harness.mjs';

/** `until` with this file's longer default wait (server round trips). */
const until = (what, fn, timeout = 5000) => pollUntil(what, fn, timeout);

let server;
let browser;
const api = {};
let alice;
let bob;

const markdown = async (id) => (await api.alice.ok('GET', `/api/documents/${id}/content?format=markdown`)).content;
const json = async (id) => JSON.stringify((await api.alice.ok('GET', `/api/documents/${id}/content?format=json`)).content);
const hits = async (q, scope = 'documents') => (await api.alice.ok('GET', `/api/search?q=${q}&scope=${scope}`)).total;
const ins = (page) => page.getByTestId('editor-content').locator('ins.suggestion-insertion');
const del = (page) => page.getByTestId('editor-content').locator('del.suggestion-deletion');

describe('suggesting mode', { timeout: 240_000 }, () => {
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

  it('a replaced word is a suggestion with bob’s name; the server keeps the original until alice accepts; reject leaves no trace', async () => {
    const doc = await api.alice.ok('POST', '/api/documents', {
      title: 'Suggested',
      body: 'The quick brown fox jumps.',
      body_format: 'markdown',
    });
    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'editor' });
    await openDoc(alice.page, doc.id);
    await openDoc(bob.page, doc.id);

    const toggle = bob.page.getByTestId('suggesting-toggle');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await selectWord(bob.page, 'quick');
    await bob.page.keyboard.type('slow', { delay: 20 });
    await waitSaved(bob.page);

    // alice sees it inline, with bob's name on hover, within 2 s
    await ins(alice.page).filter({ hasText: 'slow' }).waitFor({ timeout: 2000 });
    await del(alice.page).filter({ hasText: 'quick' }).waitFor({ timeout: 2000 });
    assert.equal(await ins(alice.page).first().getAttribute('title'), 'Suggested by bob');
    assert.equal(await del(alice.page).first().getAttribute('title'), 'Suggested by bob');
    const item = alice.page.getByTestId('suggestion-item');
    await item.waitFor();
    assert.match(await item.innerText(), /Replace “quick” with “slow”[\s\S]*bob/);

    // the server reads the pending suggestion as rejected
    assert.equal(await markdown(doc.id), 'The quick brown fox jumps.\n');
    await api.alice.ok('POST', `/api/documents/${doc.id}/versions`, { label: 'pending' });
    const v1 = await api.alice.ok('GET', `/api/documents/${doc.id}/versions/1?format=text`);
    assert.ok(v1.content.includes('quick') && !v1.content.includes('slow'), v1.content);
    await until('the version is indexed', async () => (await hits('quick', 'versions')) === 1);
    assert.equal(await hits('slow', 'versions'), 0);
    assert.equal(await hits('slow'), 0);

    // alice accepts: the new word everywhere
    await item.getByTestId('suggestion-accept').click();
    await until('the accepted word is exported', async () => (await markdown(doc.id)) === 'The slow brown fox jumps.\n');
    await until('search finds the accepted word', async () => (await hits('slow')) === 1, 15_000);
    assert.equal(await hits('quick'), 0);
    await bob.page.getByTestId('editor-content').filter({ hasText: 'The slow brown fox' }).waitFor({ timeout: 2000 });
    assert.equal(await ins(bob.page).count(), 0);

    // bob suggests another change; alice rejects it: no trace anywhere
    await selectWord(bob.page, 'brown');
    await bob.page.keyboard.type('red', { delay: 20 });
    await waitSaved(bob.page);
    await ins(alice.page).filter({ hasText: 'red' }).waitFor({ timeout: 2000 });
    await alice.page.getByTestId('suggestion-item').getByTestId('suggestion-reject').click();
    await until('the rejected suggestion is gone', async () => {
      const j = await json(doc.id);
      return !j.includes('insertion') && !j.includes('deletion') && !j.includes('red');
    });
    assert.equal(await markdown(doc.id), 'The slow brown fox jumps.\n');
    await bob.page.getByTestId('editor-content').filter({ hasText: 'The slow brown fox jumps.' }).waitFor({ timeout: 2000 });
    assert.equal(await del(bob.page).count(), 0);
    assert.equal(await bob.page.getByTestId('suggestions-panel').count(), 0);
  });

  it('within the mode: deleting marks the text, undo takes the suggestion back, and switching off edits directly', async () => {
    const doc = await api.alice.ok('POST', '/api/documents', {
      title: 'Undo in suggesting',
      body: 'Alpha beta gamma.',
      body_format: 'markdown',
    });
    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'editor' });
    await openDoc(bob.page, doc.id);
    await bob.page.getByTestId('suggesting-toggle').click();

    await selectWord(bob.page, 'beta');
    await bob.page.keyboard.press('Backspace');
    await del(bob.page).filter({ hasText: 'beta' }).waitFor({ timeout: 2000 });
    assert.match(await bob.page.getByTestId('editor-content').innerText(), /Alpha beta gamma/);
    await waitSaved(bob.page);
    assert.equal(await markdown(doc.id), 'Alpha beta gamma.\n');

    await bob.page.keyboard.press('Control+z');
    await until('undo removes the deletion mark', async () => (await del(bob.page).count()) === 0, 2000);
    await waitSaved(bob.page);
    await until('undo reaches the server', async () => !(await json(doc.id)).includes('deletion'));

    // off: a plain edit
    await bob.page.getByTestId('suggesting-toggle').click();
    assert.equal(await bob.page.getByTestId('suggesting-toggle').getAttribute('aria-pressed'), 'false');
    await selectWord(bob.page, 'gamma');
    await bob.page.keyboard.type('delta', { delay: 20 });
    await waitSaved(bob.page);
    await until('a direct edit is saved', async () => (await markdown(doc.id)) === 'Alpha beta delta.\n');
    assert.equal(await ins(bob.page).count(), 0);
  });
});
