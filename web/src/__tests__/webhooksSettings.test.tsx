/**
 * Settings → Webhooks against a mocked API: adding a hook shows its secret once and then only the list;
 * a 422 is shown by the field it is about; Delete asks first; the deliveries table shows statuses,
 * attempts and results, Redeliver calls the API and refreshes, and the table polls only while pending.
 */
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { matchRoute } from '../lib/router';
import { DeliveriesPanel, POLL_MS } from '../features/settings/DeliveriesPanel';
import { WebhooksSection } from '../features/settings/WebhooksSection';
import { fieldOfMessage, type Delivery, type Webhook } from '../features/settings/webhooks';
import { mockFetch, type Call } from './helpers';

const hook: Webhook = {
  id: 'wh-1',
  url: 'https://hooks.example.com/quire',
  events: ['document.published', 'version.created'],
  created_at: new Date(Date.now() - 10 * 60_000).toISOString(),
};
const SECRET = 'whsec_only-shown-once-1234';

/** A `/api/webhooks` server holding `hooks`; POST answers with `post` (default: creates `hook`). */
function webhookServer(hooks: Webhook[], post?: { status: number; body?: unknown }) {
  return mockFetch((c: Call) => {
    if (c.method === 'GET' && c.url === '/api/webhooks') return { status: 200, body: { items: hooks } };
    if (c.method === 'POST' && c.url === '/api/webhooks') {
      if (post) return post;
      hooks.push(hook);
      return { status: 201, body: { ...hook, secret: SECRET } };
    }
    if (c.method === 'DELETE') {
      hooks.splice(0, hooks.length, ...hooks.filter((h) => c.url !== `/api/webhooks/${h.id}`));
      return { status: 204 };
    }
    return { status: 404, body: { error: 'not_found', message: 'Not found.' } };
  });
}

const fill = (label: string | RegExp, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });
const submit = () => fireEvent.click(screen.getByRole('button', { name: 'Add webhook' }));

describe('routing', () => {
  it('/settings is the settings page', () => {
    expect(matchRoute('/settings')).toEqual({ name: 'settings' });
  });
});

describe('fieldOfMessage', () => {
  it('finds the field a validation message is about', () => {
    expect(fieldOfMessage('url must use http or https')).toBe('url');
    expect(fieldOfMessage('evil.test resolves to no address a webhook may reach')).toBe('url');
    expect(fieldOfMessage('unknown event "x"; events are …')).toBe('events');
    expect(fieldOfMessage('events must name at least one event')).toBe('events');
    expect(fieldOfMessage('secret must be 8–256 characters')).toBe('secret');
    expect(fieldOfMessage('at most 20 webhooks per user')).toBeNull();
  });
});

describe('WebhooksSection', () => {
  it('adds a hook, shows its secret once with a copy button, then only the list', async () => {
    const calls = webhookServer([]);
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(<WebhooksSection />);
    expect(await screen.findByText('No webhooks yet.')).toBeInTheDocument();

    fill('Payload URL', hook.url);
    fireEvent.click(screen.getByLabelText('version.created'));
    fireEvent.click(screen.getByLabelText('document.published'));
    expect(screen.getByLabelText('version.created')).toHaveAccessibleDescription(/version of a document you own is saved/);
    submit();

    const secret = (await screen.findByLabelText('Signing secret')) as HTMLInputElement;
    expect(secret.value).toBe(SECRET);
    expect(secret).toHaveFocus();
    expect(screen.getByTestId('webhook-secret')).toHaveTextContent('You will not see it again');
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.body).toEqual({ url: hook.url, events: ['document.published', 'version.created'] });
    fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(SECRET));
    expect(await screen.findByText('Copied to the clipboard.')).toBeInTheDocument();

    // the form is empty again and the list (reloaded) shows the hook
    expect(screen.getByLabelText('Payload URL')).toHaveValue('');
    expect(screen.getByLabelText('version.created')).not.toBeChecked();
    const item = await screen.findByTestId('webhook');
    expect(within(item).getByText(hook.url)).toBeInTheDocument();
    expect(within(within(item).getByRole('list', { name: 'Events' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual(hook.events);
    expect(within(item).getByText('10 min ago')).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Done' }));
    expect(screen.queryByTestId('webhook-secret')).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
    expect(screen.getByTestId('webhook')).toHaveTextContent(hook.url);
  });

  it('shows a 422 by the field it is about and keeps what was typed', async () => {
    const calls = webhookServer([], {
      status: 422,
      body: { error: 'validation', message: 'url points at a loopback, private or link-local address' },
    });
    render(<WebhooksSection />);
    await screen.findByText('No webhooks yet.');
    fill('Payload URL', 'http://127.0.0.1:9/');
    fireEvent.click(screen.getByLabelText('comment.created'));
    submit();
    const url = screen.getByLabelText('Payload URL');
    await waitFor(() => expect(url).toHaveAttribute('aria-invalid', 'true'));
    expect(url).toHaveAccessibleDescription('The URL points at a loopback, private or link-local address.');
    expect(url).toHaveValue('http://127.0.0.1:9/');
    expect(screen.getByLabelText(/Secret/)).not.toHaveAttribute('aria-invalid');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1);
  });

  it('puts a secret error by the secret and a quota error above the button', async () => {
    webhookServer([], { status: 422, body: { error: 'validation', message: 'secret must be 8–256 characters' } });
    render(<WebhooksSection />);
    await screen.findByText('No webhooks yet.');
    fill('Payload URL', hook.url);
    fireEvent.click(screen.getByLabelText('document.updated'));
    fill(/Secret/, 'short');
    submit();
    await waitFor(() => expect(screen.getByLabelText(/Secret/)).toHaveAccessibleDescription(/The secret must be 8–256 characters\./));

    webhookServer([], { status: 422, body: { error: 'quota_exceeded', message: 'at most 20 webhooks per user' } });
    submit();
    expect(await screen.findByRole('alert')).toHaveTextContent('at most 20 webhooks per user');
    expect(screen.getByLabelText(/Secret/)).not.toHaveAttribute('aria-invalid');
  });

  it('checks for a URL and an event before sending anything', async () => {
    const calls = webhookServer([]);
    render(<WebhooksSection />);
    await screen.findByText('No webhooks yet.');
    submit();
    expect(screen.getByLabelText('Payload URL')).toHaveAccessibleDescription('Enter the URL the events are sent to.');
    expect(screen.getByLabelText('document.published')).toHaveAccessibleDescription(/Choose at least one event\./);
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
  });

  it('deletes a hook only after confirming', async () => {
    const calls = webhookServer([{ ...hook }]);
    render(<WebhooksSection />);
    const del = await screen.findByRole('button', { name: `Delete ${hook.url}` });
    fireEvent.click(del);
    const dialog = screen.getByRole('alertdialog', { name: 'Delete this webhook?' });
    expect(dialog).toHaveTextContent(hook.url);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('alertdialog')).toBeNull();
    expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);

    fireEvent.click(screen.getByRole('button', { name: `Delete ${hook.url}` }));
    fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Delete webhook' }));
    expect(await screen.findByText('No webhooks yet.')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual(['/api/webhooks/wh-1']);
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });
});

const at = (secsFromNow: number) => new Date(Date.now() + secsFromNow * 1000).toISOString();

function delivery(over: Partial<Delivery>): Delivery {
  return {
    id: 'd-1',
    event_id: 'ev-1',
    type: 'version.created',
    document_id: 'doc-1',
    status: 'succeeded',
    created_at: at(-120),
    next_attempt_at: null,
    attempts: [],
    ...over,
  };
}

const log = [
  delivery({
    id: 'd-3',
    event_id: 'ev-3',
    type: 'comment.created',
    status: 'pending',
    next_attempt_at: at(300),
    attempts: [{ at: at(-30), response_status: 503, error: null }],
  }),
  delivery({
    id: 'd-2',
    event_id: 'ev-2',
    type: 'document.published',
    status: 'failed',
    attempts: [{ at: at(-600), response_status: null, error: 'connection refused' }],
  }),
  delivery({
    attempts: [
      { at: at(-120), response_status: 500, error: null },
      { at: at(-119), response_status: 200, error: null },
    ],
  }),
];

/** A deliveries endpoint answering with `items()` each time; redeliver answers 202. */
function deliveriesServer(items: () => Delivery[]) {
  return mockFetch((c: Call) => {
    if (c.method === 'POST') return { status: 202, body: items()[0] };
    return { status: 200, body: { items: items() } };
  });
}

describe('DeliveriesPanel', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows each delivery’s status, attempts, last response and next attempt; attempts expand', async () => {
    deliveriesServer(() => log);
    render(<DeliveriesPanel hook={hook} />);
    const rows = await screen.findAllByTestId('delivery');
    expect(rows.map((r) => within(r).getByTestId('delivery-status').getAttribute('data-status'))).toEqual(['pending', 'failed', 'succeeded']);
    expect(rows.map((r) => within(r).getByTestId('delivery-status').textContent)).toEqual(['Pending', 'Failed', 'Succeeded']);
    expect(rows.map((r) => within(r).getByTestId('delivery-attempts').textContent)).toEqual(['1', '1', '2']);
    expect(rows.map((r) => within(r).getByTestId('delivery-last').textContent)).toEqual(['HTTP 503', 'connection refused', 'HTTP 200']);
    expect(rows[0]).toHaveTextContent('in 5 min');

    const toggle = within(rows[2]).getByRole('button', { name: /^Attempts/ });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    const detail = document.getElementById(toggle.getAttribute('aria-controls') ?? '');
    expect(detail).not.toBeVisible();
    fireEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(detail).toBeVisible();
    expect(within(detail!).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['2 min ago: HTTP 500', '2 min ago: HTTP 200']);
  });

  it('Redeliver calls the API and refreshes the table', async () => {
    let items = [log[2]];
    const calls = deliveriesServer(() => items);
    render(<DeliveriesPanel hook={hook} />);
    const row = await screen.findByTestId('delivery');
    items = [{ ...log[2], status: 'succeeded', attempts: [...log[2].attempts, { at: at(0), response_status: 200, error: null }] }];
    fireEvent.click(within(row).getByRole('button', { name: /^Redeliver/ }));
    await waitFor(() => expect(screen.getByTestId('delivery-attempts')).toHaveTextContent('3'));
    expect(calls.map((c) => [c.method, c.url])).toEqual([
      ['GET', '/api/webhooks/wh-1/deliveries'],
      ['POST', '/api/webhooks/wh-1/deliveries/d-1/redeliver'],
      ['GET', '/api/webhooks/wh-1/deliveries'],
    ]);
  });

  it('polls while a delivery is pending and stops once none is', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let items: Delivery[] = [log[0]];
    const calls = deliveriesServer(() => items);
    render(<DeliveriesPanel hook={hook} />);
    await screen.findByTestId('delivery');
    expect(calls).toHaveLength(1);
    items = [{ ...log[0], status: 'succeeded', next_attempt_at: null }];
    // The poll starts in an effect after the pending row shows; on a loaded machine that can be after
    // the first advance, so keep advancing until a poll brings the new status.
    const status = () => screen.getByTestId('delivery-status').getAttribute('data-status');
    for (let i = 0; i < 100 && status() !== 'succeeded'; i++) {
      vi.advanceTimersByTime(POLL_MS);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(screen.getByTestId('delivery-status')).toHaveAttribute('data-status', 'succeeded');
    const polled = calls.length;
    expect(polled).toBeGreaterThanOrEqual(2);
    vi.advanceTimersByTime(POLL_MS * 3);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toHaveLength(polled);
  });
});
