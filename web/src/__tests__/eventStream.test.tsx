/**
 * The shared `/api/events` stream (one EventSource per tab, closed with its last subscriber,
 * reconnects reported) and the bell refetching its notifications on a `notification` event.
 */
import { act, render, renderHook, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { subscribeEvents } from '../api/eventStream';
import type { QuireNotification } from '../api/types';
import { useDocumentListEvents } from '../features/documents/useDocumentListEvents';
import { NotificationBell } from '../features/notifications/NotificationBell';
import { makeDoc, mockFetch } from './helpers';

/** Enough of EventSource for the stream: listeners, onopen/onerror, close; `emit` plays the server. */
class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static all: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  onopen: ((e: Event) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;
  private listeners = new Map<string, Set<(e: MessageEvent) => void>>();

  constructor(
    readonly url: string,
    readonly init?: EventSourceInit,
  ) {
    FakeEventSource.all.push(this);
  }
  static open() {
    return FakeEventSource.all.filter((s) => s.readyState !== FakeEventSource.CLOSED);
  }
  addEventListener(type: string, l: (e: MessageEvent) => void) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(l);
  }
  removeEventListener(type: string, l: (e: MessageEvent) => void) {
    this.listeners.get(type)?.delete(l);
  }
  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
  emit(type: string, data: unknown) {
    const msg = new MessageEvent(type, { data: JSON.stringify(data) });
    this.listeners.get(type)?.forEach((l) => l(msg));
  }
  opened() {
    this.readyState = FakeEventSource.OPEN;
    this.onopen?.(new Event('open'));
  }
  failed() {
    this.readyState = FakeEventSource.CONNECTING; // the browser retries by itself
    this.onerror?.(new Event('error'));
  }
}

beforeEach(() => {
  FakeEventSource.all = [];
  vi.stubGlobal('EventSource', FakeEventSource);
});
afterEach(() => vi.unstubAllGlobals());

describe('the shared event stream', () => {
  it('opens one EventSource for all subscribers and closes it when the last leaves', () => {
    const a = vi.fn();
    const b = vi.fn();
    const offA = subscribeEvents({ types: ['notification'], onEvent: a });
    const offB = subscribeEvents({ types: ['created', 'notification'], onEvent: b });
    expect(FakeEventSource.all).toHaveLength(1);
    const source = FakeEventSource.all[0]!;
    expect(source.url).toBe('/api/events');
    expect(source.init).toEqual({ withCredentials: true });

    source.emit('created', { n: 1 });
    source.emit('notification', { n: 2 });
    expect(a.mock.calls).toEqual([['notification', '{"n":2}']]);
    expect(b.mock.calls).toEqual([
      ['created', '{"n":1}'],
      ['notification', '{"n":2}'],
    ]);
    offA();
    offA(); // twice is harmless
    expect(source.readyState).not.toBe(FakeEventSource.CLOSED);
    source.emit('notification', { n: 3 });
    expect(a).toHaveBeenCalledTimes(1);
    offB();
    expect(source.readyState).toBe(FakeEventSource.CLOSED);

    const off = subscribeEvents({ types: ['notification'], onEvent: a });
    expect(FakeEventSource.open()).toHaveLength(1);
    expect(FakeEventSource.all).toHaveLength(2);
    off();
  });

  it('tells subscribers when it reopens after an error, not on the first open', () => {
    const reconnect = vi.fn();
    const off = subscribeEvents({ types: ['notification'], onEvent: () => {}, onReconnect: reconnect });
    const source = FakeEventSource.all[0]!;
    source.opened();
    expect(reconnect).not.toHaveBeenCalled();
    source.failed();
    source.opened();
    expect(reconnect).toHaveBeenCalledOnce();
    off();
  });

  it('starts a new EventSource when the browser gave up on the old one', () => {
    const reconnect = vi.fn();
    const seen = vi.fn();
    const off = subscribeEvents({ types: ['notification'], onEvent: seen, onReconnect: reconnect });
    const dead = FakeEventSource.all[0]!;
    dead.close(); // what the browser does after an error answer
    const off2 = subscribeEvents({ types: ['created'], onEvent: () => {} });
    expect(FakeEventSource.open()).toHaveLength(1);
    const fresh = FakeEventSource.open()[0]!;
    expect(fresh).not.toBe(dead);
    fresh.emit('notification', {});
    expect(seen).toHaveBeenCalledOnce();
    fresh.opened();
    expect(reconnect).toHaveBeenCalledOnce(); // the first subscriber missed events
    off();
    off2();
    expect(fresh.readyState).toBe(FakeEventSource.CLOSED);
  });

  it('the document list uses it: events parsed, a reload after a reconnect', () => {
    const onEvent = vi.fn();
    const onReconnect = vi.fn();
    const { unmount } = renderHook(() => useDocumentListEvents(true, onEvent, onReconnect));
    const off = subscribeEvents({ types: ['notification'], onEvent: () => {} });
    expect(FakeEventSource.all).toHaveLength(1);
    const source = FakeEventSource.all[0]!;
    const doc = makeDoc({ id: 'a' });
    source.emit('updated', { type: 'updated', document: doc });
    source.emit('notification', { type: 'notification', notification: { type: 'mention', document_id: 'a' } });
    expect(onEvent.mock.calls).toEqual([[{ type: 'updated', document: doc }]]);
    source.opened();
    source.failed();
    source.opened();
    expect(onReconnect).toHaveBeenCalledOnce();
    unmount();
    expect(source.readyState).not.toBe(FakeEventSource.CLOSED); // the other subscriber is still there
    off();
    expect(source.readyState).toBe(FakeEventSource.CLOSED);
  });

  it('is a no-op without EventSource', () => {
    vi.stubGlobal('EventSource', undefined);
    const off = subscribeEvents({ types: ['notification'], onEvent: () => {} });
    expect(FakeEventSource.all).toHaveLength(0);
    off();
  });
});

describe('the notification bell', () => {
  const notification = (id: string, read = false): QuireNotification => ({
    id,
    type: 'mention',
    actor: { id: 'u-alice', username: 'alice' },
    document_id: 'doc-1',
    thread_id: 't1',
    comment_id: 'c1',
    created_at: new Date().toISOString(),
    read,
  });

  it('refetches the unread notifications as soon as a `notification` event arrives', async () => {
    let items = [notification('n1', true)];
    const calls = mockFetch((c) => (c.url.startsWith('/api/notifications') ? { status: 200, body: { items } } : { status: 404 }));
    const { unmount } = render(<NotificationBell />);
    const bell = screen.getByTestId('notifications-button');
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(bell).toHaveAccessibleName('Notifications, 0 unread');
    expect(FakeEventSource.all).toHaveLength(1);

    items = [notification('n2'), ...items];
    // other events do not refetch
    act(() => FakeEventSource.all[0]!.emit('created', { type: 'created', document: makeDoc() }));
    expect(calls).toHaveLength(1);
    act(() => FakeEventSource.all[0]!.emit('notification', { type: 'notification', notification: { type: 'mention', document_id: 'doc-1' } }));
    await waitFor(() => expect(bell).toHaveAccessibleName('Notifications, 1 unread'));
    expect(calls).toHaveLength(2);
    expect(calls[1]!.url).toBe('/api/notifications');

    unmount();
    expect(FakeEventSource.all[0]!.readyState).toBe(FakeEventSource.CLOSED);
  });
});
