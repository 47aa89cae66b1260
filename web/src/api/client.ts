/**
 * The REST client core: `request()` adds the CSRF header to unsafe methods, sends cookies, and turns
 * failures into `ApiError` (status 0 for network failures) or, for a 409 with `current`, `ConflictError`.
 */
import { readCookie } from '../lib/cookies';
import type { QuireDocument } from './types';

export const CSRF_COOKIE = 'quire_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

/** An error answered by the API (`{error, message}`) or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: unknown;

  constructor(status: number, code: string, message: string, body?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }

  get isConflict(): boolean {
    return this.status === 409;
  }
}

/** A 409 on a metadata PATCH: carries the document as the server has it now. */
export class ConflictError extends ApiError {
  readonly current: QuireDocument;

  constructor(message: string, current: QuireDocument, body: unknown) {
    super(409, 'conflict', message, body);
    this.name = 'ConflictError';
    this.current = current;
  }
}

let csrfFallback: string | undefined;
let unauthorizedHandler: (() => void) | undefined;

/** Remember the CSRF token returned by login, in case the cookie is not readable. */
export function setCsrfToken(token: string | undefined): void {
  csrfFallback = token;
}

export function csrfToken(): string | undefined {
  return readCookie(CSRF_COOKIE) ?? csrfFallback;
}

/** Called on any 401 from an authenticated call (not from login itself). */
export function onUnauthorized(handler: (() => void) | undefined): void {
  unauthorizedHandler = handler;
}

/** Report a 401 seen outside `request()` (the media upload's XMLHttpRequest). */
export function reportUnauthorized(): void {
  unauthorizedHandler?.();
}

/** The message of the `ApiError` (status 0) thrown when the server cannot be reached. */
export const NETWORK_MESSAGE = 'Cannot reach the server. Check your connection.';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | undefined | null>;
  signal?: AbortSignal;
  /** Don't trigger the global 401 handler (login, me). */
  quiet401?: boolean;
}

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

function messageFor(status: number): string {
  switch (status) {
    case 400:
    case 422:
      return 'The request was not valid.';
    case 401:
      return 'Please sign in again.';
    case 403:
      return 'You do not have permission to do that.';
    case 404:
      return 'Not found.';
    case 409:
      return 'Someone else changed this in the meantime.';
    case 413:
      return 'That is too large.';
    case 429:
      return 'Too many requests. Please wait a moment and try again.';
    default:
      return status >= 500 ? 'The server had a problem. Please try again.' : `Request failed (${status}).`;
  }
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = (opts.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (UNSAFE.has(method)) {
    const token = csrfToken();
    if (token) headers[CSRF_HEADER] = token;
  }
  let res: Response;
  try {
    res = await fetch(buildUrl(path, opts.query), {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal,
    });
  } catch (e) {
    if ((e as { name?: string })?.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', NETWORK_MESSAGE);
  }
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    const obj = (data && typeof data === 'object' ? data : {}) as {
      error?: string;
      message?: string;
      current?: QuireDocument;
    };
    const message = obj.message || messageFor(res.status);
    if (res.status === 409 && obj.current && typeof obj.current === 'object') {
      throw new ConflictError(message, obj.current, data);
    }
    if (res.status === 401 && !opts.quiet401) unauthorizedHandler?.();
    throw new ApiError(res.status, obj.error ?? `http_${res.status}`, message, data);
  }
  return data as T;
}
