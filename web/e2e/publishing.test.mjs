// End-to-end: publishing from the editor header. Alice publishes; bob (editor, same document open) sees
// the badge live; alice makes the page public under her own slug, which an anonymous reader can fetch;
// a body edit shows "Changes since publishing" and "Publish changes" updates the reader page;
// Unpublish takes it down (404) and removes the badge for both.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, openDoc, registerAndLogin, sleep, startServer, typeAtEnd, userContext, waitSaved, until as pollUntil } from './harness.mjs';

/** `until` with this file's longer default wait (server round trips). */
const until = (what, fn, timeout = 5000) => pollUntil(what, fn, timeout);

let server;
let browser;
const api = {};
let alice;
let bob;

/** The reader page as an anonymous visitor (no cookies). */
async function reader(slug) {
  const res = await fetch(`${server.base}/p/${slug}`);
  return { status: res.status, text: await res.text() };
}

const badge = (page) => page.getByTestId('published-badge');

describe('publishing', { timeout: 180_000 }, () => {
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

  it('publish, live badge, public slug, changes since publishing, republish and unpublish', async () => {
    const doc = await api.alice.ok('POST', '/api/documents', {
      title: 'Launch Notes',
      body: 'First published words.',
      body_format: 'markdown',
    });
    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'editor' });
    await openDoc(alice.page, doc.id);
    await openDoc(bob.page, doc.id);
    assert.equal(await badge(alice.page).count(), 0);
    assert.equal(await badge(bob.page).count(), 0);

    // alice publishes from the header
    await alice.page.getByTestId('publish-button').click();
    await badge(alice.page).waitFor({ timeout: 5000 });
    const published = await api.alice.ok('GET', `/api/documents/${doc.id}`);
    assert.equal(typeof published.published_version, 'number');
    assert.equal(await alice.page.getByTestId('published-version').innerText(), `v${published.published_version}`);
    assert.equal(await alice.page.getByTestId('publish-button').innerText(), 'Publish changes');
    assert.equal(await alice.page.getByTestId('publish-changed').count(), 0);
    const link = alice.page.getByTestId('published-link');
    assert.equal(await link.getAttribute('href'), `/p/${published.slug}`);
    assert.equal(await link.getAttribute('target'), '_blank');
    assert.equal(await link.getAttribute('rel'), 'noopener');

    // bob sees it live, without a reload
    await badge(bob.page).waitFor({ timeout: 3000 });
    assert.equal(await bob.page.getByTestId('published-version').innerText(), `v${published.published_version}`);

    // private so far: an anonymous reader gets nothing
    assert.equal((await reader(published.slug)).status, 404);

    // alice: public, custom slug
    await alice.page.getByTestId('publish-settings-button').click();
    const dialog = alice.page.getByTestId('publishing-dialog');
    await dialog.waitFor();
    await dialog.getByLabel('Public').check();
    await dialog.getByLabel('Slug').fill('launch-notes-2026');
    await dialog.getByTestId('publishing-save').click();
    await dialog.waitFor({ state: 'detached', timeout: 5000 });
    await alice.page.locator('[data-testid="published-link"][href="/p/launch-notes-2026"]').waitFor({ timeout: 3000 });
    await bob.page.locator('[data-testid="published-link"][href="/p/launch-notes-2026"]').waitFor({ timeout: 3000 });

    const first = await until('the public page is served', async () => {
      const r = await reader('launch-notes-2026');
      return r.status === 200 ? r : null;
    });
    assert.match(first.text, /Launch Notes/);
    assert.match(first.text, /First published words\./);

    // a body edit: "Changes since publishing"
    await typeAtEnd(alice.page, ' Second thoughts added.');
    await waitSaved(alice.page);
    await alice.page.getByTestId('publish-changed').waitFor({ timeout: 10_000 });
    assert.equal(await alice.page.getByTestId('publish-changed').innerText(), 'Changes since publishing');
    assert.doesNotMatch((await reader('launch-notes-2026')).text, /Second thoughts/);

    // Publish changes: the reader page has the new text, the badge is current again
    await alice.page.getByTestId('publish-button').click();
    await until('the reader page shows the new text', async () => /Second thoughts added\./.test((await reader('launch-notes-2026')).text));
    await alice.page.getByTestId('publish-changed').waitFor({ state: 'detached', timeout: 5000 });
    const republished = await api.alice.ok('GET', `/api/documents/${doc.id}`);
    assert.ok(republished.published_version > published.published_version);
    await alice.page.getByTestId('published-version').filter({ hasText: `v${republished.published_version}` }).waitFor({ timeout: 3000 });

    // Unpublish: gone for readers and for both editors
    await alice.page.getByTestId('unpublish-button').click();
    await badge(alice.page).waitFor({ state: 'detached', timeout: 5000 });
    await badge(bob.page).waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await alice.page.getByTestId('published-link').count(), 0);
    assert.equal(await alice.page.getByTestId('publish-button').innerText(), 'Publish');
    assert.equal((await reader('launch-notes-2026')).status, 404);
  });
});
