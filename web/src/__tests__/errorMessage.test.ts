/**
 * errorMessage: the sentence shown for API errors, network failures, aborts and unexpected values.
 */
import { describe, expect, it, vi } from 'vitest';
import { ApiError, ConflictError, request } from '../api/client';
import { ABORT_MESSAGE, GENERIC_MESSAGE, NETWORK_MESSAGE, errorMessage, isAbortError } from '../api/errorMessage';
import { makeDoc, mockFetch } from './helpers';

describe('errorMessage', () => {
  it('uses the message of an ApiError (server text or the status default)', async () => {
    expect(errorMessage(new ApiError(422, 'invalid', 'Title is too long.'))).toBe('Title is too long.');
    mockFetch(() => ({ status: 403 }));
    const e = await request('/api/x').catch((x: unknown) => x);
    expect(errorMessage(e)).toBe('You do not have permission to do that.');
  });

  it('lets a screen word particular statuses itself, and only those', () => {
    const opts = { byStatus: { 404: 'No user with that username.' } };
    expect(errorMessage(new ApiError(404, 'not_found', 'Not found.'), opts)).toBe('No user with that username.');
    expect(errorMessage(new ApiError(500, 'internal', 'The server had a problem. Please try again.'), opts)).toBe(
      'The server had a problem. Please try again.',
    );
  });

  it('treats a conflict like any ApiError', () => {
    expect(errorMessage(new ConflictError('Changed meanwhile.', makeDoc(), {}))).toBe('Changed meanwhile.');
  });

  it('explains a network failure, whether wrapped by the client or thrown by fetch', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    const e = await request('/api/x').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(0);
    expect(errorMessage(e)).toBe(NETWORK_MESSAGE);
    expect(errorMessage(new TypeError('NetworkError when attempting to fetch resource.'))).toBe(NETWORK_MESSAGE);
  });

  it('recognises an abort', async () => {
    const ctl = new AbortController();
    vi.stubGlobal(
      'fetch',
      vi.fn((_input: RequestInfo | URL, init?: RequestInit) => {
        return new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        });
      }),
    );
    const pending = request('/api/x', { signal: ctl.signal }).catch((x: unknown) => x);
    ctl.abort();
    const e = await pending;
    expect(isAbortError(e)).toBe(true);
    expect(errorMessage(e)).toBe(ABORT_MESSAGE);
  });

  it('falls back for anything else', () => {
    expect(errorMessage(new Error('x is undefined'))).toBe(GENERIC_MESSAGE);
    expect(errorMessage('boom', { fallback: 'Could not load documents.' })).toBe('Could not load documents.');
    expect(errorMessage(undefined)).toBe(GENERIC_MESSAGE);
    expect(isAbortError(new Error('no'))).toBe(false);
  });
});
