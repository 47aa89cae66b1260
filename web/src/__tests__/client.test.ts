/**
 * REST client: CSRF header on unsafe methods, error mapping to ApiError / ConflictError, the 401 hook, URL building.
 */
import { describe, expect, it, vi } from 'vitest';
import { ApiError, ConflictError, buildUrl, onUnauthorized, setCsrfToken } from '../api/client';
import { api } from '../api/endpoints';
import { makeDoc, mockFetch } from './helpers';

describe('API client', () => {
  it('sends the quire_csrf cookie as X-CSRF-Token on state-changing requests', async () => {
    document.cookie = 'quire_csrf=tok-123; path=/';
    const calls = mockFetch(() => ({ status: 201, body: makeDoc() }));
    await api.createDocument({ title: 'Hello' });
    await api.listDocuments({ status: 'draft' });
    await api.updateDocument('doc-1', { title: 'X' }, 3);
    await api.removeMember('doc-1', 'bob');
    expect(calls[0].method).toBe('POST');
    expect(calls[0].headers['X-CSRF-Token']).toBe('tok-123');
    expect(calls[1].method).toBe('GET');
    expect(calls[1].headers['X-CSRF-Token']).toBeUndefined();
    expect(calls[2].method).toBe('PATCH');
    expect(calls[2].headers['X-CSRF-Token']).toBe('tok-123');
    expect(calls[3].method).toBe('DELETE');
    expect(calls[3].headers['X-CSRF-Token']).toBe('tok-123');
  });

  it('falls back to the csrf_token returned by login when the cookie is missing', async () => {
    const calls = mockFetch((c) =>
      c.url.endsWith('/login')
        ? { status: 200, body: { token: 'jwt', user: { id: '1', username: 'alice' }, csrf_token: 'from-login' } }
        : { status: 201, body: { number: 1, label: 'x', created_at: '', auto: false } },
    );
    await api.login('alice', 'pw');
    await api.saveVersion('doc-1', 'x');
    expect(calls[1].headers['X-CSRF-Token']).toBe('from-login');
    setCsrfToken(undefined);
  });

  it('PATCH carries expected_version and maps 409 to ConflictError with the current document', async () => {
    const current = makeDoc({ title: 'Their title', version: 4 });
    const calls = mockFetch(() => ({
      status: 409,
      body: { error: 'conflict', message: 'version mismatch', current },
    }));
    const err = await api.updateDocument('doc-1', { title: 'Mine' }, 3).catch((e: unknown) => e);
    expect(calls[0].body).toEqual({ title: 'Mine', expected_version: 3 });
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).current.title).toBe('Their title');
    expect((err as ConflictError).current.version).toBe(4);
    expect((err as ConflictError).status).toBe(409);
  });

  it('turns {error, message} bodies into ApiError', async () => {
    mockFetch(() => ({ status: 403, body: { error: 'forbidden', message: 'Owners only' } }));
    const err = (await api.deleteDocument('d').catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(403);
    expect(err.code).toBe('forbidden');
    expect(err.message).toBe('Owners only');
  });

  it('gives a friendly message when the body is empty', async () => {
    mockFetch(() => ({ status: 500 }));
    const err = (await api.getDocument('d').catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(500);
    expect(err.message).toMatch(/server had a problem/);
  });

  it('reports network failures as status 0', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    const err = (await api.getDocument('d').catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(0);
    expect(err.code).toBe('network');
  });

  it('calls the 401 handler on authenticated routes but not on login', async () => {
    const handler = vi.fn();
    onUnauthorized(handler);
    mockFetch(() => ({ status: 401, body: { error: 'unauthorized', message: 'no session' } }));
    await api.listDocuments({}).catch(() => {});
    expect(handler).toHaveBeenCalledTimes(1);
    await api.login('a', 'b').catch(() => {});
    expect(handler).toHaveBeenCalledTimes(1);
    onUnauthorized(undefined);
  });

  it('builds query strings without empty values', () => {
    expect(buildUrl('/api/documents', { status: '', tag: 'a b', limit: 10, q: undefined })).toBe(
      '/api/documents?tag=a+b&limit=10',
    );
    expect(buildUrl('/x')).toBe('/x');
  });

  it('encodes ids and usernames in paths', async () => {
    const calls = mockFetch(() => ({ status: 200, body: {} }));
    await api.setMember('a/b', 'bob smith', 'viewer');
    expect(calls[0].url).toBe('/api/documents/a%2Fb/members/bob%20smith');
    expect(calls[0].body).toEqual({ role: 'viewer' });
  });

  it('requests diffs against current', async () => {
    const calls = mockFetch(() => ({ status: 200, body: { blocks: [], stats: {} } }));
    await api.diff('d1', 2, 'current');
    expect(calls[0].url).toBe('/api/documents/d1/versions/2/diff/current');
  });
});
