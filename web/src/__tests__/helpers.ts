/**
 * Test helpers: a scripted `fetch` that records calls, and a sample document.
 */
import { vi } from 'vitest';
import type { QuireDocument } from '../api/types';

export interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Replace global fetch with a scripted responder; returns the recorded calls. */
export function mockFetch(respond: (call: Call) => { status: number; body?: unknown }) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const call: Call = {
      url: String(input),
      method: (init?.method ?? 'GET').toUpperCase(),
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    calls.push(call);
    const r = respond(call);
    return new Response(r.body === undefined ? null : JSON.stringify(r.body), {
      status: r.status,
      headers: { 'Content-Type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fn);
  return calls;
}

export function makeDoc(over: Partial<QuireDocument> = {}): QuireDocument {
  return {
    id: 'doc-1',
    title: 'Roadmap',
    status: 'draft',
    tags: ['plans'],
    owner_id: 'u-alice',
    owner_username: 'alice',
    version: 3,
    created_at: '2026-01-01T10:00:00Z',
    updated_at: '2026-01-02T10:00:00Z',
    last_edited_by: 'u-bob',
    last_edited_by_username: 'bob',
    last_edited_at: '2026-01-02T10:00:00Z',
    role: 'owner',
    visibility: 'private',
    ...over,
  };
}
