// End-to-end: comments (SPEC §11). Alice (owner) comments on a selected word from the toolbar; Bob
// (commenter) sees the highlight and the thread live, replies with an @mention chosen from the
// autocomplete; Alice sees the reply live and the bell's unread count; she resolves; both sidebars
// show it under Resolved, also after a reload; Bob's editor stays read-only (checked on the server).
// Editing one's own comment shows live in the other sidebar; a mention reaches the bell at once
// (a `notification` event on the tab's one /api/events stream, not the 20 s poll).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { axeSource, launchBrowser, openDoc, registerAndLogin, sleep, startServer, userContext, until, selectWord } from './harness.mjs';

let server;
let browser;
const api = {};
let alice;
let bob;

const threads = (page) => page.getByTestId('comment-sidebar').getByTestId('comment-thread');
const highlight = (page) => page.getByTestId('editor-content').locator('.comment-highlight');
const bellLabel = (page) => page.getByTestId('notifications-button').getAttribute('aria-label');

async function openComments(page) {
  const sidebar = page.getByTestId('comment-sidebar');
  if (!(await sidebar.isVisible())) await page.getByTestId('comments-button').click();
  await sidebar.waitFor();
}

describe('comments', { timeout: 240_000 }, () => {
  before(async () => {
    server = await startServer();
    for (const u of ['alice', 'bob', 'carol']) api[u] = await registerAndLogin(server.base, u);
    browser = await launchBrowser();
    alice = await userContext(browser, server.base, 'alice');
    bob = await userContext(browser, server.base, 'bob');
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it('comment on a selection, live reply with a mention, bell, resolve, reload; the commenter cannot edit', async () => {
    const doc = await api.alice.ok('POST', '/api/documents', {
      title: 'Commented',
      body: 'The quick brown fox jumps over the lazy dog.',
      body_format: 'markdown',
    });
    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'commenter' });
    const textBefore = (await api.alice.ok('GET', `/api/documents/${doc.id}/content?format=text`)).content;

    await openDoc(alice.page, doc.id);
    await openDoc(bob.page, doc.id);
    await openComments(bob.page);
    assert.equal(await threads(bob.page).count(), 0);
    const initialBell = await bellLabel(alice.page);
    assert.equal(initialBell, 'Notifications, 0 unread');

    // alice: select "brown", toolbar → Comment
    await selectWord(alice.page, 'brown');
    await alice.page.getByTestId('toolbar').getByRole('button', { name: 'Comment', exact: true }).click();
    await alice.page.getByTestId('selection-comment-input').fill('Is brown the right colour?');
    await alice.page.getByTestId('selection-comment-submit').click();
    await until('alice sees her highlight', async () => (await highlight(alice.page).count()) === 1 && (await highlight(alice.page).innerText()) === 'brown', 5000);
    const stored = await api.alice.ok('GET', `/api/documents/${doc.id}/comments`);
    assert.equal(stored.items.length, 1);
    assert.equal(stored.items[0].quote, 'brown');
    assert.ok(stored.items[0].anchor?.start && stored.items[0].anchor?.end, 'anchored');
    assert.equal(stored.items[0].detached, false);

    // bob sees the highlight and the thread within 2 s, without a reload
    const t0 = Date.now();
    await until('bob sees the thread', async () => (await threads(bob.page).count()) === 1 && (await threads(bob.page).innerText()).includes('Is brown the right colour?'));
    await until('bob sees the highlight', async () => (await highlight(bob.page).count()) === 1 && (await highlight(bob.page).innerText()) === 'brown');
    assert.ok(Date.now() - t0 < 2000, `live within 2 s (took ${Date.now() - t0} ms)`);
    assert.match(await threads(bob.page).innerText(), /alice/);
    assert.match(await threads(bob.page).getByTestId('thread-quote').innerText(), /brown/);

    // clicking the highlight opens the thread (sidebar closed first)
    await bob.page.getByRole('button', { name: 'Close comments' }).click();
    await highlight(bob.page).click();
    await bob.page.getByTestId('comment-sidebar').waitFor();
    await until('the clicked thread is active', async () => (await threads(bob.page).first().getAttribute('class'))?.includes('is-active'));
    // clicking the quote selects the text in the editor
    await threads(bob.page).getByTestId('thread-quote').click();
    await until('the quote selects "brown"', () => bob.page.evaluate(() => window.getSelection()?.toString() === 'brown'));

    // bob replies, choosing @alice from the autocomplete
    const reply = threads(bob.page).getByTestId('reply-input');
    await reply.click();
    await reply.pressSequentially('Agreed @al', { delay: 10 });
    const list = bob.page.getByTestId('mention-list');
    await list.waitFor();
    assert.deepEqual(await list.getByRole('option').allInnerTexts(), ['@alice']);
    await reply.press('Enter');
    await reply.pressSequentially('it is fine', { delay: 5 });
    assert.equal(await reply.inputValue(), 'Agreed @alice it is fine');
    await threads(bob.page).getByTestId('reply-submit').click();

    // alice sees it live (her sidebar opened with the new thread)
    await until('alice sees the reply', async () => (await threads(alice.page).getByTestId('comment').count()) === 2, 3000);
    assert.match(await threads(alice.page).getByTestId('comment').nth(1).innerText(), /bob[\s\S]*Agreed @alice it is fine/);
    assert.equal(await threads(alice.page).locator('.mention').innerText(), '@alice');

    // her bell: a refetch on focus (the poll would do it within 20 s)
    const unread = (await api.alice.ok('GET', '/api/notifications?unread=1')).items;
    assert.ok(unread.length >= 1, 'the server notified alice');
    await alice.page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await until('the bell shows the unread count', async () => (await bellLabel(alice.page)) === `Notifications, ${unread.length} unread`, 3000);
    await alice.page.getByTestId('notifications-button').click();
    const items = alice.page.getByTestId('notification-list').getByTestId('notification');
    const texts = await items.allInnerTexts();
    assert.ok(texts.some((t) => /bob (mentioned you|replied)/.test(t)), texts.join(' | '));
    assert.equal(await items.first().getByRole('link').getAttribute('href'), `/d/${doc.id}`);
    await alice.page.getByRole('button', { name: 'Mark all read' }).click();
    await until('all read', async () => (await bellLabel(alice.page)) === 'Notifications, 0 unread', 3000);
    assert.equal((await api.alice.ok('GET', '/api/notifications?unread=1')).items.length, 0);
    await alice.page.keyboard.press('Escape');

    // alice resolves: both sidebars move it to Resolved, the highlight goes
    await threads(alice.page).getByTestId('resolve-thread').click();
    for (const [who, page] of [['alice', alice.page], ['bob', bob.page]]) {
      await until(`${who}: no open thread`, async () => (await threads(page).count()) === 0, 3000);
      await until(`${who}: highlight gone`, async () => (await highlight(page).count()) === 0, 3000);
      await page.getByTestId('comments-tab-resolved').click();
      await until(`${who}: thread under Resolved`, async () => (await threads(page).count()) === 1);
      assert.equal(await threads(page).getAttribute('data-resolved'), 'true');
    }

    // after a reload everything is still there
    for (const page of [alice.page, bob.page]) {
      await page.reload();
      await openDoc(page, doc.id);
      await openComments(page);
      assert.equal(await threads(page).count(), 0, 'nothing open');
      await page.getByTestId('comments-tab-resolved').click();
      await until('resolved thread after reload', async () => (await threads(page).getByTestId('comment').count()) === 2, 5000);
      const text = await threads(page).innerText();
      assert.match(text, /Is brown the right colour\?/);
      assert.match(text, /Agreed @alice it is fine/);
      await page.getByTestId('comments-tab-open').click();
    }
    // reopen brings the highlight back
    await threads(alice.page).first().waitFor({ state: 'detached' }).catch(() => {});
    await alice.page.getByTestId('comments-tab-resolved').click();
    await threads(alice.page).getByTestId('reopen-thread').click();
    await until('bob sees the highlight again', async () => (await highlight(bob.page).count()) === 1, 3000);

    // bob (commenter) cannot change the body
    const editor = bob.page.getByTestId('editor-content');
    assert.equal(await editor.getAttribute('contenteditable'), 'false');
    assert.equal(await bob.page.getByTestId('toolbar').count(), 0, 'no formatting toolbar');
    await editor.click();
    await bob.page.keyboard.press('End');
    await bob.page.keyboard.type('HACKED', { delay: 5 });
    await bob.page.keyboard.press('Enter');
    await sleep(1000);
    assert.ok(!(await editor.innerText()).includes('HACKED'));
    const bobText = await bob.page.evaluate(async (id) => {
      const r = await fetch(`/api/documents/${id}/content?format=text`, { credentials: 'same-origin' });
      return { status: r.status, body: await r.json() };
    }, doc.id);
    assert.equal(bobText.status, 200);
    assert.equal(bobText.body.content, textBefore);
    assert.ok(!bobText.body.content.includes('HACKED'));
  });

  it('a commenter can comment on a selection with Ctrl+Alt+M; a viewer cannot comment', async () => {
    const doc = await api.alice.ok('POST', '/api/documents', { title: 'Shortcut', body: 'Alpha beta gamma.', body_format: 'markdown' });
    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'commenter' });
    await openDoc(bob.page, doc.id);
    await selectWord(bob.page, 'gamma');
    await bob.page.keyboard.press('Control+Alt+m');
    await bob.page.getByTestId('selection-comment-input').fill('Greek @alice');
    await bob.page.getByTestId('selection-comment-submit').click();
    await until('highlight', async () => (await highlight(bob.page).count()) === 1 && (await highlight(bob.page).innerText()) === 'gamma', 5000);
    const stored = (await api.alice.ok('GET', `/api/documents/${doc.id}/comments`)).items;
    assert.equal(stored.length, 1);
    assert.equal(stored[0].quote, 'gamma');
    assert.equal(stored[0].created_by.username, 'bob');

    // demoted to viewer (a fresh load): threads are readable, no comment controls
    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'viewer' });
    await bob.page.reload();
    await openDoc(bob.page, doc.id);
    await openComments(bob.page);
    await until('thread visible to the viewer', async () => (await threads(bob.page).count()) === 1, 5000);
    assert.equal(await bob.page.getByTestId('new-comment-input').count(), 0);
    assert.equal(await bob.page.getByTestId('reply-input').count(), 0);
    assert.equal(await bob.page.getByTestId('comment-toolbar').count(), 0);
  });

  it('sharing with "Can comment" in the share dialog: carol is notified, can comment, cannot edit', async () => {
    const doc = await api.alice.ok('POST', '/api/documents', { title: 'Shared to comment', body: 'One two three.', body_format: 'markdown' });
    await openDoc(alice.page, doc.id);
    await alice.page.getByTestId('share-button').click();
    const share = alice.page.getByTestId('share-dialog');
    await share.getByLabel('Add people by username').fill('carol');
    await share.getByLabel('Role', { exact: true }).selectOption('commenter');
    await share.getByRole('button', { name: 'Share' }).click();
    await share.getByText('carol can now comment on this document.').waitFor();
    await share.getByRole('button', { name: 'Close dialog' }).click();
    const members = (await api.alice.ok('GET', `/api/documents/${doc.id}/members`)).members;
    assert.equal(members.find((m) => m.username === 'carol')?.role, 'commenter');

    const carol = await userContext(browser, server.base, 'carol');
    try {
      await carol.page.goto('/');
      await until('carol is notified', async () => /Notifications, [1-9]/.test((await bellLabel(carol.page)) ?? ''), 5000);
      await carol.page.getByTestId('notifications-button').click();
      const item = carol.page.getByTestId('notification-list').getByTestId('notification').first();
      assert.match(await item.innerText(), /alice shared a document with you/);
      await item.getByRole('link').click();
      await carol.page.getByTestId('editor-content').waitFor();
      assert.equal(await carol.page.getByTestId('workspace').getAttribute('data-role'), 'commenter');
      assert.equal(await carol.page.getByTestId('editor-content').getAttribute('contenteditable'), 'false');
      await openComments(carol.page);
      await carol.page.getByTestId('new-comment-input').fill('Looks good overall');
      await carol.page.getByTestId('comment-sidebar').getByRole('button', { name: 'Comment', exact: true }).click();
      await until('document-level thread', async () => (await threads(carol.page).count()) === 1, 3000);
      const stored = (await api.alice.ok('GET', `/api/documents/${doc.id}/comments`)).items;
      assert.equal(stored.length, 1);
      assert.equal(stored[0].anchor ?? null, null);
      assert.equal(stored[0].comments[0].body, 'Looks good overall');
    } finally {
      await carol.context.close();
    }
  });

  it('a user edits their own comment in the sidebar; the other open sidebar shows it, "(edited)", without a reload', async () => {
    const doc = await api.alice.ok('POST', '/api/documents', { title: 'Edited comments', body: 'Some text.', body_format: 'markdown' });
    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'commenter' });
    const thread = await api.bob.ok('POST', `/api/documents/${doc.id}/comments`, { anchor: null, body: 'Frist draft' });
    await api.alice.ok('POST', `/api/documents/${doc.id}/comments/${thread.id}/replies`, { body: 'Typo there' });
    for (const page of [alice.page, bob.page]) {
      await openDoc(page, doc.id);
      await openComments(page);
      await until('both comments listed', async () => (await threads(page).getByTestId('comment').count()) === 2, 5000);
    }
    const comments = (page) => threads(page).getByTestId('comment');
    // only one's own comments can be edited
    assert.equal(await comments(alice.page).nth(0).getByRole('button', { name: 'Edit comment' }).count(), 0);
    assert.equal(await comments(alice.page).nth(1).getByRole('button', { name: 'Edit comment' }).count(), 1);
    assert.equal(await comments(bob.page).nth(1).getByRole('button', { name: 'Edit comment' }).count(), 0);
    assert.equal(await comments(alice.page).nth(0).getByTestId('comment-edited').count(), 0);

    // bob edits the thread's first comment from the keyboard: Edit, fix the text, Ctrl+Enter
    await comments(bob.page).nth(0).getByRole('button', { name: 'Edit comment' }).click();
    const box = bob.page.getByRole('combobox', { name: 'Edit your comment' });
    assert.equal(await box.inputValue(), 'Frist draft');
    assert.ok(await box.evaluate((el) => el === document.activeElement), 'the textarea has the focus');
    await box.fill('First draft, fixed');
    const t0 = Date.now();
    await box.press('Control+Enter');
    await until('bob sees his edit', async () => /First draft, fixed/.test(await comments(bob.page).nth(0).innerText()), 3000);
    assert.equal(await bob.page.getByTestId('comment-edit-input').count(), 0);

    // alice's sidebar follows without a reload
    await until(
      'alice sees the edit and "(edited)"',
      async () => {
        const text = await comments(alice.page).nth(0).innerText();
        return /First draft, fixed/.test(text) && /\(edited\)/.test(text) && !/Frist/.test(text);
      },
      3000,
    );
    assert.ok(Date.now() - t0 < 3000, `live within 3 s (took ${Date.now() - t0} ms)`);
    const mark = comments(alice.page).nth(0).getByTestId('comment-edited');
    assert.match((await mark.getAttribute('title')) ?? '', /^Edited \S/);
    assert.equal(await comments(alice.page).nth(1).getByTestId('comment-edited').count(), 0, 'the reply was not edited');
    const stored = await api.alice.ok('GET', `/api/documents/${doc.id}/comments`);
    assert.equal(stored.items[0].comments[0].body, 'First draft, fixed');
    assert.ok(stored.items[0].comments[0].edited_at, 'edited_at is set');

    // alice edits her reply with the buttons; Cancel first leaves it as it was
    await comments(alice.page).nth(1).getByRole('button', { name: 'Edit comment' }).click();
    await alice.page.getByTestId('comment-edit-input').fill('Never mind');
    await alice.page.getByRole('button', { name: 'Cancel' }).click();
    assert.match(await comments(alice.page).nth(1).innerText(), /Typo there/);
    await comments(alice.page).nth(1).getByRole('button', { name: 'Edit comment' }).click();
    await alice.page.getByTestId('comment-edit-input').fill('Thanks @bob');
    await alice.page.getByRole('button', { name: 'Save' }).click();
    await until('bob sees alice’s edited reply', async () => {
      const text = await comments(bob.page).nth(1).innerText();
      return /Thanks @bob/.test(text) && /\(edited\)/.test(text);
    }, 3000);
    assert.equal(await comments(bob.page).nth(1).locator('.mention').innerText(), '@bob');
  });

  it("bob's bell counts alice's @mention within seconds, without a reload (one event stream for the list and the bell)", async () => {
    const doc = await api.alice.ok('POST', '/api/documents', { title: 'Bell doc', body: 'Ring.', body_format: 'markdown' });
    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'commenter' });
    const listener = await userContext(browser, server.base, 'bob');
    try {
      const page = listener.page;
      // count the EventSources the app opens and let the test see when one is connected
      await page.addInitScript(() => {
        const Native = window.EventSource;
        window.__eventSources = [];
        window.EventSource = class extends Native {
          constructor(...args) {
            super(...args);
            window.__eventSources.push(this);
          }
        };
      });
      const loadStarted = Date.now(); // the bell's first poll tick is at least 20 s after this
      await page.goto('/');
      await page.locator('[data-testid="doc-row"]', { hasText: 'Bell doc' }).waitFor();
      await until('the event stream is open', () => page.evaluate(() => window.__eventSources.some((s) => s.readyState === 1)), 5000);
      const unreadBefore = (await api.bob.ok('GET', '/api/notifications?unread=1')).items.length;
      await until('the bell shows the unread count', async () => (await bellLabel(page)) === `Notifications, ${unreadBefore} unread`, 5000);

      await api.alice.ok('POST', `/api/documents/${doc.id}/comments`, { anchor: null, body: 'Ping @bob, have a look' });
      const t0 = Date.now();
      await until('the bell counts the mention', async () => (await bellLabel(page)) === `Notifications, ${unreadBefore + 1} unread`, 5000);
      const took = Date.now() - t0;
      assert.ok(took < 10_000, `within 10 s (took ${took} ms)`);
      assert.ok(Date.now() - loadStarted < 20_000, 'before the 20 s poll could have done it');
      await page.getByTestId('notifications-button').click();
      assert.match(await page.getByTestId('notification-list').getByTestId('notification').first().innerText(), /alice mentioned you/);
      await page.keyboard.press('Escape');

      // the same stream still serves the document list
      await api.alice.ok('PATCH', `/api/documents/${doc.id}`, { title: 'Bell doc renamed', expected_version: doc.version });
      await page.locator('[data-testid="doc-row"]', { hasText: 'Bell doc renamed' }).waitFor({ timeout: 3000 });
      assert.equal(await page.evaluate(() => window.__eventSources.length), 1, 'one EventSource for the list and the bell');
    } finally {
      await listener.context.close();
    }
  });

  it('at 375 px the comments sidebar is an overlay with no serious or critical axe violation', async () => {
    const doc = await api.alice.ok('POST', '/api/documents', { title: 'Phone comments', body: 'Small screen text.', body_format: 'markdown' });
    await api.alice.ok('PUT', `/api/documents/${doc.id}/members/bob`, { role: 'commenter' });
    await api.bob.ok('POST', `/api/documents/${doc.id}/comments`, { anchor: null, body: 'Hello <b>@alice</b> <img src=x onerror=alert(1)>' });
    const phone = await userContext(browser, server.base, 'alice', { viewport: { width: 375, height: 740 } });
    try {
      const page = phone.page;
      await openDoc(page, doc.id);
      await page.getByTestId('comments-button').click();
      const sidebar = page.getByTestId('comment-sidebar');
      await sidebar.waitFor();
      await until('thread listed', async () => (await threads(page).count()) === 1, 3000);
      // bodies are text: the markup is shown, never parsed
      assert.equal(await threads(page).locator('img, b').count(), 0);
      assert.match(await threads(page).getByTestId('comment').innerText(), /<img src=x onerror=alert\(1\)>/);
      const box = await sidebar.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 376, `sidebar inside the viewport: ${JSON.stringify(box)}`);
      await page.evaluate(axeSource());
      const violations = await page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations
          .filter((v) => v.impact === 'serious' || v.impact === 'critical')
          .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }));
      });
      assert.deepEqual(violations, [], JSON.stringify(violations, null, 2));
    } finally {
      await phone.context.close();
    }
  });
});
