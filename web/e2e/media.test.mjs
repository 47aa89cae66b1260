// End-to-end: rich content and media (SPEC §13). Alice (owner) and Bob (editor) have the same document open
// in two browser contexts. A table inserted by Alice (3×3 with a header row) and a row she adds reach Bob
// live (4 rows); a task list she makes and a task she ticks reach Bob checked. Alice pastes a PNG from the
// clipboard (a ClipboardEvent carrying a File of real PNG bytes drawn on a canvas) and drops another at the
// first paragraph (dragenter/dragover/drop with a DataTransfer at those coordinates); each upload shows a
// labelled progress bar (the upload is slowed by a route so the bar can be seen), the images reach Bob live,
// load from /api/media/{id} (naturalWidth > 0), sit where they were put (the dropped one before the pasted
// one) and survive a reload; an SVG drop is refused with an alert naming the file. Carol (viewer) gets no
// insert tools and a file dropped on her read-only editor neither uploads nor navigates away. axe-core on the
// editor with all of it, and a wide table at 375 px scrolls in its own box without widening the page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  launchBrowser,
  newSharedDoc,
  openDoc,
  registerAndLogin,
  screenshot,
  seriousAxeViolations,
  sleep,
  startServer,
  until,
  userContext,
  waitSaved,
} from './harness.mjs';

let server;
let browser;
const api = {};
let alice;
let bob;
const consoleErrors = [];

const editor = (page) => page.getByTestId('editor-content');

/** Put the caret at the end of the document (a click, then Ctrl+End). */
async function caretAtEnd(page) {
  await editor(page).click();
  await page.keyboard.press('Control+End');
}

/** Count of `selector` inside the editor. */
const countIn = (page, selector) => page.evaluate((s) => document.querySelector('[data-testid="editor-content"]').querySelectorAll(s).length, selector);

/** In the page: a real PNG (a w×h canvas) as a File named `name`. */
const MAKE_PNG = async ({ name, w, h, color }) => {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const g = c.getContext('2d');
  g.fillStyle = color;
  g.fillRect(0, 0, w, h);
  const blob = await new Promise((r) => c.toBlob(r, 'image/png'));
  return new File([blob], name, { type: 'image/png' });
};

/** Paste a freshly drawn PNG into the focused editor. */
async function pastePng(page, name) {
  await page.evaluate(
    async ({ name, make }) => {
      const file = await new Function(`return (${make})`)()({ name, w: 48, h: 32, color: '#c0392b' });
      const dt = new DataTransfer();
      dt.items.add(file);
      const target = document.querySelector('[data-testid="editor-content"]');
      target.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    },
    { name, make: MAKE_PNG.toString() },
  );
}

/**
 * Drop a file at the end of the editor's paragraph containing `text` (dragenter, dragover, drop at those
 * coordinates). `kind` 'png' draws a PNG; 'svg' makes an SVG file.
 */
async function dropFile(page, { name, kind, text }) {
  return page.evaluate(
    async ({ name, kind, text, make }) => {
      const file =
        kind === 'png'
          ? await new Function(`return (${make})`)()({ name, w: 64, h: 40, color: '#2e86c1' })
          : new File(['<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'], name, { type: 'image/svg+xml' });
      const root = document.querySelector('[data-testid="editor-content"]');
      const p = [...root.querySelectorAll('p')].find((x) => x.textContent.includes(text));
      // where a person would drop it: in view, not under the sticky toolbar
      p.scrollIntoView({ block: 'center' });
      const range = document.createRange();
      range.selectNodeContents(p);
      const rects = range.getClientRects();
      const last = rects[rects.length - 1];
      const x = last.right + 4;
      const y = last.top + last.height / 2;
      const target = document.elementFromPoint(x, y) ?? p;
      const dt = new DataTransfer();
      dt.items.add(file);
      const prevented = {};
      for (const type of ['dragenter', 'dragover', 'drop']) {
        const ev = new DragEvent(type, { dataTransfer: dt, clientX: x, clientY: y, bubbles: true, cancelable: true });
        target.dispatchEvent(ev);
        prevented[type] = ev.defaultPrevented;
      }
      return { x, y, target: target.outerHTML.slice(0, 60), file: `${file.name} ${file.type} ${file.size}`, prevented };
    },
    { name, kind, text, make: MAKE_PNG.toString() },
  );
}

/** Record every progress bar that appears (name and values), even briefly. */
async function watchProgress(page) {
  await page.evaluate(() => {
    window.__progressSeen = [];
    const seen = (el) => window.__progressSeen.push({ label: el.getAttribute('aria-label'), now: el.getAttribute('aria-valuenow') });
    new MutationObserver((records) => {
      for (const r of records) {
        const el = r.type === 'attributes' ? r.target : null;
        if (el?.getAttribute?.('role') === 'progressbar') seen(el);
        for (const n of r.addedNodes ?? []) {
          if (n.nodeType !== 1) continue;
          if (n.getAttribute('role') === 'progressbar') seen(n);
          n.querySelectorAll?.('[role="progressbar"]').forEach(seen);
        }
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
  });
}

/** The editor's images: alt, src and whether they loaded. */
const imagesOf = (page) =>
  page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="editor-content"] img')].map((i) => ({
      alt: i.getAttribute('alt'),
      src: i.getAttribute('src'),
      loaded: i.complete && i.naturalWidth > 0,
      width: i.naturalWidth,
    })),
  );

describe('rich content and media', { timeout: 300_000 }, () => {
  before(async () => {
    server = await startServer();
    for (const u of ['alice', 'bob', 'carol']) api[u] = await registerAndLogin(server.base, u);
    browser = await launchBrowser();
    alice = await userContext(browser, server.base, 'alice');
    bob = await userContext(browser, server.base, 'bob');
    for (const [who, p] of [
      ['alice', alice.page],
      ['bob', bob.page],
    ]) {
      p.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(`[${who}] ${m.text()}`);
      });
    }
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  it('a table and an added row reach the other editor live', async () => {
    const doc = await newSharedDoc(api.alice, 'bob', 'Table doc', 'editor', { body: 'Figures below.', body_format: 'markdown' });
    await openDoc(alice.page, doc.id);
    await openDoc(bob.page, doc.id);
    await caretAtEnd(alice.page);
    assert.equal(await alice.page.getByRole('toolbar', { name: 'Table' }).count(), 0, 'no table menu outside a table');
    await alice.page.getByRole('button', { name: 'Insert table' }).click();
    const menu = alice.page.getByRole('toolbar', { name: 'Table' });
    await menu.waitFor();
    await alice.page.keyboard.type('Quarter', { delay: 5 });
    await until('bob sees the 3×3 table', async () => (await countIn(bob.page, 'tr')) === 3 && (await countIn(bob.page, 'th')) === 3, 5000);
    assert.equal(await countIn(bob.page, 'td'), 6);
    await editor(bob.page).filter({ hasText: 'Quarter' }).waitFor({ timeout: 5000 });

    await menu.getByRole('button', { name: 'Add row below' }).click();
    await until('bob sees 4 rows', async () => (await countIn(bob.page, 'tr')) === 4, 5000);
    await menu.getByRole('button', { name: 'Add column right' }).click();
    await until('bob sees 4 header cells', async () => (await countIn(bob.page, 'th')) === 4, 5000);
    await waitSaved(alice.page);
  });

  it('a task list and a ticked task reach the other editor', async () => {
    const doc = await newSharedDoc(api.alice, 'bob', 'Tasks doc', 'editor', { body: 'Things to do:', body_format: 'markdown' });
    await openDoc(alice.page, doc.id);
    await openDoc(bob.page, doc.id);
    await caretAtEnd(alice.page);
    await alice.page.keyboard.press('Enter');
    const toggle = alice.page.getByRole('button', { name: 'Task list' });
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await alice.page.keyboard.type('Write the report', { delay: 5 });
    await alice.page.keyboard.press('Enter');
    await alice.page.keyboard.type('Book the room', { delay: 5 });
    await until('bob sees two tasks', async () => (await countIn(bob.page, 'ul[data-type="taskList"] > li')) === 2, 5000);
    assert.equal(await countIn(bob.page, 'li[data-checked="true"]'), 0);

    await alice.page.getByRole('checkbox', { name: /Write the report/ }).check();
    await until('bob sees the first task checked', () =>
      bob.page.evaluate(() => {
        const li = [...document.querySelectorAll('[data-testid="editor-content"] ul[data-type="taskList"] > li')].find((x) =>
          x.textContent.includes('Write the report'),
        );
        return li?.getAttribute('data-checked') === 'true' && li.querySelector('input[type="checkbox"]').checked;
      }),
    5000);
    const other = bob.page.getByRole('checkbox', { name: /Book the room/ });
    assert.equal(await other.isChecked(), false);
    await waitSaved(alice.page);
  });

  let mediaDoc;
  it('pasted and dropped images upload with progress, reach the other editor where they were put, and survive a reload; SVG is refused', async () => {
    mediaDoc = await newSharedDoc(api.alice, 'bob', 'Media doc', 'editor', { body: 'First paragraph.\n\nLast paragraph.', body_format: 'markdown' });
    await openDoc(alice.page, mediaDoc.id);
    await openDoc(bob.page, mediaDoc.id);
    // slow uploads down so their progress bars are there to be seen
    const uploads = [];
    await alice.page.route('**/api/documents/*/media', async (route) => {
      uploads.push(route.request().headers()['content-type']);
      await sleep(900);
      await route.continue();
    });
    await watchProgress(alice.page);

    await caretAtEnd(alice.page);
    await pastePng(alice.page, 'pasted.png');
    await alice.page.getByRole('progressbar', { name: 'Uploading pasted.png' }).waitFor({ timeout: 3000 });
    await dropFile(alice.page, { name: 'dropped.png', kind: 'png', text: 'First paragraph.' });
    await alice.page.getByRole('progressbar', { name: 'Uploading dropped.png' }).waitFor({ timeout: 3000 });
    await alice.page.getByRole('progressbar').first().waitFor({ state: 'detached', timeout: 10_000 });
    await until('both progress bars gone', async () => (await alice.page.getByRole('progressbar').count()) === 0, 10_000);
    assert.deepEqual(uploads, ['image/png', 'image/png']);
    const seen = await alice.page.evaluate(() => window.__progressSeen.map((s) => s.label));
    assert.ok(seen.includes('Uploading pasted.png') && seen.includes('Uploading dropped.png'), JSON.stringify(seen));

    for (const page of [alice.page, bob.page]) {
      const imgs = await until(
        'two loaded images',
        async () => {
          const list = await imagesOf(page);
          return list.length === 2 && list.every((i) => i.loaded) ? list : null;
        },
        10_000,
      );
      // the dropped one at the first paragraph, the pasted one at the end
      assert.deepEqual(
        imgs.map((i) => i.alt),
        ['dropped', 'pasted'],
      );
      for (const i of imgs) assert.match(i.src, /^\/api\/media\/[^/]+$/);
      assert.deepEqual(
        imgs.map((i) => i.width),
        [64, 48],
      );
    }
    // the blocks in order (remote carets, which are widgets between or inside blocks, left out)
    const order = await bob.page.evaluate(() =>
      [...document.querySelector('[data-testid="editor-content"]').children]
        .filter((n) => n.tagName === 'P' || n.tagName === 'IMG')
        .map((n) => {
          if (n.tagName === 'IMG') return `img:${n.alt}`;
          const copy = n.cloneNode(true);
          copy.querySelectorAll('[data-testid="remote-caret"]').forEach((c) => c.remove());
          return copy.textContent;
        }),
    );
    assert.deepEqual(order.filter((x) => x), ['First paragraph.', 'img:dropped', 'Last paragraph.', 'img:pasted']);

    // an SVG is refused by name, and nothing else changes
    await dropFile(alice.page, { name: 'photo.svg', kind: 'svg', text: 'Last paragraph.' });
    const alert = alice.page.getByTestId('upload-error');
    await alert.waitFor({ timeout: 3000 });
    assert.equal(await alert.getAttribute('role'), 'alert');
    assert.match(await alert.innerText(), /photo\.svg was not added: only PNG, JPEG, GIF and WebP images can be uploaded\./);
    assert.equal(uploads.length, 2, 'the SVG was not sent');
    await alert.getByRole('button', { name: 'Dismiss the message about photo.svg' }).click();
    await alert.waitFor({ state: 'detached' });
    assert.equal((await imagesOf(alice.page)).length, 2);
    await waitSaved(alice.page);
    await alice.page.unroute('**/api/documents/*/media');

    await bob.page.reload();
    await openDoc(bob.page, mediaDoc.id);
    const again = await until(
      'images after reload',
      async () => {
        const list = await imagesOf(bob.page);
        return list.length === 2 && list.every((i) => i.loaded) ? list : null;
      },
      10_000,
    );
    assert.deepEqual(
      again.map((i) => i.alt),
      ['dropped', 'pasted'],
    );
    // the server refuses an SVG by its bytes too, whatever the header says (SPEC §13: 415; from Node, so
    // the browser's console stays clean)
    const a = api.alice;
    const res = await fetch(`${server.base}/api/documents/${mediaDoc.id}/media`, {
      method: 'POST',
      headers: { Cookie: a.cookieHeader(), 'X-CSRF-Token': a.cookies.get('quire_csrf') ?? '', 'Content-Type': 'image/png' },
      body: '<svg xmlns="http://www.w3.org/2000/svg"/>',
    });
    const svg = { status: res.status, body: await res.json().catch(() => null) };
    assert.equal(svg.status, 415, JSON.stringify(svg));
  });

  it('the alt text of a selected image can be changed, and the other editor gets it', async () => {
    await openDoc(alice.page, mediaDoc.id);
    await alice.page.locator('[data-testid="editor-content"] img[alt="dropped"]').click();
    const button = alice.page.getByRole('button', { name: 'Image alt text' });
    await until('alt text enabled', () => button.isEnabled(), 3000);
    await button.click();
    const dialog = alice.page.getByTestId('alt-text-dialog');
    await dialog.getByLabel('Alternative text').fill('A blue rectangle');
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await bob.page.locator('[data-testid="editor-content"] img[alt="A blue rectangle"]').waitFor({ timeout: 5000 });
  });

  it('a viewer gets no insert tools; a file dropped on the read-only editor is not uploaded and does not navigate', async () => {
    await api.alice.ok('PUT', `/api/documents/${mediaDoc.id}/members/carol`, { role: 'viewer' });
    const carol = await userContext(browser, server.base, 'carol');
    try {
      const requests = [];
      carol.page.on('request', (r) => {
        if (r.method() === 'POST' && r.url().includes('/media')) requests.push(r.url());
      });
      await openDoc(carol.page, mediaDoc.id);
      assert.equal(await editor(carol.page).getAttribute('contenteditable'), 'false');
      for (const name of ['Insert image', 'Insert table', 'Task list', 'Horizontal rule']) {
        assert.equal(await carol.page.getByRole('button', { name }).count(), 0, name);
      }
      await until('images load for the viewer', async () => (await imagesOf(carol.page)).filter((i) => i.loaded).length === 2, 10_000);
      const url = carol.page.url();
      await dropFile(carol.page, { name: 'sneaky.png', kind: 'png', text: 'First paragraph.' });
      await sleep(500);
      assert.equal(carol.page.url(), url);
      assert.deepEqual(requests, []);
      assert.equal(await carol.page.getByRole('progressbar').count(), 0);
    } finally {
      await carol.context.close();
    }
  });

  it('axe finds no serious issue with a table, tasks, images and a rule; a wide table at 375 px scrolls in its own box', async () => {
    const doc = await newSharedDoc(api.alice, 'bob', 'Everything doc', 'editor', {
      body: 'Intro.',
      body_format: 'markdown',
    });
    await openDoc(alice.page, doc.id);
    await caretAtEnd(alice.page);
    await alice.page.getByRole('button', { name: 'Horizontal rule' }).click();
    await alice.page.getByRole('button', { name: 'Task list' }).click();
    await alice.page.keyboard.type('Check the numbers', { delay: 5 });
    // Enter on the empty next task leaves the list
    await alice.page.keyboard.press('Enter');
    await alice.page.keyboard.press('Enter');
    await alice.page.getByRole('button', { name: 'Insert table' }).click();
    const menu = alice.page.getByRole('toolbar', { name: 'Table' });
    for (let i = 0; i < 3; i++) await menu.getByRole('button', { name: 'Add column right' }).click();
    await alice.page.keyboard.type('Region', { delay: 5 });
    await pastePng(alice.page, 'chart.png');
    await until('the pasted image loaded', async () => (await imagesOf(alice.page)).some((i) => i.loaded), 10_000);
    assert.equal(await countIn(alice.page, 'hr'), 1);
    assert.equal(await countIn(alice.page, 'ul[data-type="taskList"] > li'), 1);
    assert.equal(await countIn(alice.page, 'table img'), 1, 'pasted into the table cell where the caret was');
    await waitSaved(alice.page);
    assert.deepEqual(await seriousAxeViolations(alice.page), []);
    await screenshot(alice.page, 'editor-rich-content');

    const phone = await userContext(browser, server.base, 'alice', { viewport: { width: 375, height: 740 } });
    try {
      await openDoc(phone.page, doc.id);
      await phone.page.locator('[data-testid="editor-content"] table').waitFor();
      const m = await phone.page.evaluate(() => {
        const wrap = document.querySelector('[data-testid="editor-content"] .tableWrapper');
        const img = document.querySelector('[data-testid="editor-content"] img');
        return {
          page: document.documentElement.scrollWidth,
          wrapScroll: wrap.scrollWidth,
          wrapClient: wrap.clientWidth,
          wrapRight: wrap.getBoundingClientRect().right,
          imgRight: img.getBoundingClientRect().right,
        };
      });
      assert.ok(m.page <= 375, `page fits: ${JSON.stringify(m)}`);
      assert.ok(m.wrapScroll > m.wrapClient, `the table scrolls in its box: ${JSON.stringify(m)}`);
      assert.ok(m.wrapRight <= 375 && m.imgRight <= 375, JSON.stringify(m));
      // the table menu is reachable on the phone too
      await phone.page.locator('[data-testid="editor-content"] td').first().click();
      const phoneMenu = phone.page.getByRole('toolbar', { name: 'Table' });
      await phoneMenu.waitFor();
      const box = await phoneMenu.getByRole('button', { name: 'Delete table' }).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `Delete table on screen: ${JSON.stringify(box)}`);
      assert.deepEqual(await seriousAxeViolations(phone.page), []);
      await screenshot(phone.page, 'editor-rich-content-phone');
    } finally {
      await phone.context.close();
    }
  });

  it('no console errors on the way', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
