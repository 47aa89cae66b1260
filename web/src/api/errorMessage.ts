/**
 * Turns anything a call can throw into the sentence shown to the user: an
 * `ApiError` (the server's message, or a status-based default), a network
 * failure, an abort, or an unexpected value. Every screen that shows an error
 * goes through here so the same failure always reads the same way.
 */
import { ApiError, NETWORK_MESSAGE } from './client';

export { NETWORK_MESSAGE };
export const ABORT_MESSAGE = 'The request was cancelled.';
export const GENERIC_MESSAGE = 'Something went wrong. Please try again.';

export interface ErrorMessageOptions {
  /** Sentence for a value that is not an API or network error. */
  fallback?: string;
  /** Sentences that replace the server's message for particular HTTP statuses. */
  byStatus?: Partial<Record<number, string>>;
}

/** True when `e` is the rejection of an aborted request (fetch or AbortSignal). */
export function isAbortError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'AbortError';
}

export function errorMessage(e: unknown, opts: ErrorMessageOptions = {}): string {
  if (e instanceof ApiError) {
    const override = opts.byStatus?.[e.status];
    if (override) return override;
    if (e.status === 0) return e.message || NETWORK_MESSAGE;
    return e.message || opts.fallback || GENERIC_MESSAGE;
  }
  if (isAbortError(e)) return ABORT_MESSAGE;
  // fetch rejects with a TypeError when the network is down (outside `request`)
  if (e instanceof TypeError && /fetch|network/i.test(e.message)) return NETWORK_MESSAGE;
  return opts.fallback ?? GENERIC_MESSAGE;
}
