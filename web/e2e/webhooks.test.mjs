// End-to-end: webhooks from Settings. Alice adds a hook for a local receiver (which answers 500 once, then
// 200) and reads its secret, shown once; saving a version makes the server POST the event twice, signed
// with that secret and with the same event id; the deliveries panel shows it succeeded after 2 attempts;
// Redeliver sends it a third time; Delete removes the hook. axe-core checks the page on the way.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, registerAndLogin, screenshot, seriousAxeViolations, startServer, until as pollUntil, userContext } from './harness.mjs';

/** `until` with a longer default wait: deliveries go through the outbox and retries. */
const until = (what, fn, timeout = 15_000) => pollUntil(what, fn, timeout);

/** A receiver on 127.0.0.1 that records every request and answers 500 to the first one, 200 afterwards. */
function startReceiver() {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = requests.length === 1 ? 500 : 200;
      res.end(requests.length === 1 ? 'try again' : 'ok');
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}/hook`, requests, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

/** Whether `Quire-Signature: t=…,v1=…` is the HMAC-SHA256 of `t.body` under `secret`. */
function signatureValid(header, raw, secret) {
  const parts = Object.fromEntries(String(header).split(',').map((p) => p.split('=', 2)));
  if (!/^\d+$/.test(parts.t ?? '') || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${raw}`).digest();
  return timingSafeEqual(expected, Buffer.from(parts.v1, 'hex'));
}

let server;
let receiver;
let browser;
let api;
let alice;

describe('webhooks', { timeout: 180_000 }, () => {
  before(async () => {
    receiver = await startReceiver();
    server = await startServer({ env: { WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_RETRY_BASE_MS: '200' } });
    api = await registerAndLogin(server.base, 'alice');
    browser = await launchBrowser();
    alice = await userContext(browser, server.base, 'alice');
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    await receiver?.close();
  });

  it('add a hook, signed deliveries with a retry, the deliveries panel, redeliver, delete', async () => {
    const { page } = alice;
    await page.goto('/');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    assert.equal(await page.title(), 'Settings · Quire');
    await page.getByText('No webhooks yet.').waitFor();

    // add the hook; its secret is shown once
    await page.getByLabel('Payload URL').fill(receiver.url);
    await page.getByLabel('version.created').check();
    await page.getByLabel('document.published').check();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const secretField = page.getByLabel('Signing secret');
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    assert.match(secret, /^whsec_.{20,}/);
    assert.match(await page.getByTestId('webhook-secret').innerText(), /You will not see it again/);
    const hookItem = page.getByTestId('webhook').filter({ hasText: receiver.url });
    await hookItem.waitFor();
    assert.deepEqual(await hookItem.getByRole('list', { name: 'Events' }).getByRole('listitem').allInnerTexts(), [
      'document.published',
      'version.created',
    ]);
    assert.deepEqual(await seriousAxeViolations(page), [], 'settings page with the secret shown');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByTestId('webhook-secret').waitFor({ state: 'detached' });
    assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page');

    // a saved version: the first POST gets a 500, the retry a 200
    const doc = await api.ok('POST', '/api/documents', { title: 'Hooked', body: 'Hello hooks.', body_format: 'markdown' });
    await api.ok('POST', `/api/documents/${doc.id}/versions`, { label: 'v1' });
    await until('two requests at the receiver', () => receiver.requests.length >= 2);
    const [first, second] = receiver.requests;
    for (const r of [first, second]) {
      assert.equal(r.method, 'POST');
      assert.equal(r.headers['quire-event'], 'version.created');
      assert.ok(signatureValid(r.headers['quire-signature'], r.raw, secret), `valid signature: ${r.headers['quire-signature']}`);
      const body = JSON.parse(r.raw);
      assert.equal(body.id, r.headers['quire-event-id']);
      assert.equal(body.type, 'version.created');
      assert.equal(body.data.document.id, doc.id);
      assert.ok(body.data.version, 'the event carries the version');
    }
    assert.equal(second.headers['quire-event-id'], first.headers['quire-event-id']);
    assert.equal(second.headers['quire-delivery'], first.headers['quire-delivery']);
    assert.ok(!signatureValid(first.headers['quire-signature'], first.raw, 'not-the-secret'));
    const eventId = first.headers['quire-event-id'];

    // the deliveries panel: succeeded after 2 attempts (500, then 200)
    await hookItem.getByRole('button', { name: `Deliveries for ${receiver.url}` }).click();
    const panel = hookItem.getByTestId('deliveries-panel');
    const row = panel.locator(`[data-testid="delivery"][data-event-id="${eventId}"]`);
    await until('the delivery shows succeeded with 2 attempts', async () => {
      if ((await row.count()) === 1) {
        const status = await row.getByTestId('delivery-status').getAttribute('data-status');
        if (status === 'succeeded' && (await row.getByTestId('delivery-attempts').innerText()) === '2') return true;
      }
      await panel.getByRole('button', { name: 'Refresh' }).click();
      return false;
    });
    assert.equal(await row.getByTestId('delivery-last').innerText(), 'HTTP 200');
    await row.getByRole('button', { name: /^Attempts/ }).click();
    const attempts = panel.getByTestId('attempt-list').getByRole('listitem');
    await attempts.first().waitFor();
    const texts = await attempts.allInnerTexts();
    assert.equal(texts.length, 2);
    assert.match(texts[0], /HTTP 500/);
    assert.match(texts[1], /HTTP 200/);
    assert.deepEqual(await seriousAxeViolations(page), [], 'settings page with the deliveries open');
    await screenshot(page, 'settings-webhooks');

    // Redeliver: a third request with the same event id; the panel follows it to succeeded, 3 attempts
    await row.getByRole('button', { name: /^Redeliver/ }).click();
    await until('a third request at the receiver', () => receiver.requests.length >= 3);
    const third = receiver.requests[2];
    assert.equal(third.headers['quire-event-id'], eventId);
    assert.ok(signatureValid(third.headers['quire-signature'], third.raw, secret));
    await until('the panel shows the redelivery', async () => {
      const status = await row.getByTestId('delivery-status').getAttribute('data-status');
      return status === 'succeeded' && (await row.getByTestId('delivery-attempts').innerText()) === '3';
    });

    // Delete, after confirming
    await hookItem.getByRole('button', { name: `Delete ${receiver.url}` }).click();
    const dialog = page.getByTestId('delete-webhook-dialog');
    await dialog.getByRole('button', { name: 'Delete webhook' }).click();
    await page.getByText('No webhooks yet.').waitFor();
    assert.equal(await page.getByTestId('webhook').count(), 0);
    assert.deepEqual((await api.ok('GET', '/api/webhooks')).items, []);
  });
});
