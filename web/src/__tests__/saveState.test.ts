/**
 * SaveState (the "Saving… / All changes saved" machine), reconnect backoff and close-code mapping.
 */
import { describe, expect, it } from 'vitest';
import { SaveState } from '../collab/saveState';
import { backoffWithJitter, closeReasonFor } from '../collab/session';
import {
  CLOSE_DOC_TOO_LARGE,
  CLOSE_FORBIDDEN,
  CLOSE_GONE,
  CLOSE_NORMAL,
  CLOSE_PERMANENT_FIRST,
  CLOSE_SCHEMA_OUTDATED,
  CLOSE_UNAUTHENTICATED,
} from '../protocol.gen';

describe('SaveState', () => {
  it('goes connecting → syncing → synced → saving → saved', () => {
    const s = new SaveState(() => 1000);
    expect(s.snapshot().status).toBe('connecting');
    s.setConnection('connected');
    expect(s.snapshot().status).toBe('syncing');
    s.setSynced(true);
    expect(s.snapshot().status).toBe('synced');
    s.localUpdate();
    s.localUpdate();
    expect(s.snapshot().status).toBe('saving');
    s.ack(2);
    expect(s.snapshot()).toMatchObject({ status: 'saved', lastSavedAt: 1000, pending: 0 });
  });

  it('an ack means everything received so far is durable, whatever its batch count', () => {
    const s = new SaveState();
    s.setConnection('connected');
    s.setSynced(true);
    s.localUpdate();
    s.localUpdate();
    s.localUpdate();
    s.ack(1);
    expect(s.snapshot().status).toBe('saved');
    s.localUpdate();
    expect(s.snapshot().status).toBe('saving');
  });

  it('stops waiting for a sync-step-2 ack the server never sends (it already had the changes)', () => {
    const s = new SaveState();
    s.setConnection('connected');
    s.setSynced(true);
    s.setConnection('disconnected');
    s.localUpdate();
    s.setConnection('connected');
    s.setSynced(true);
    expect(s.waitingForStep2).toBe(true);
    expect(s.snapshot().status).toBe('saving');
    s.step2Settled();
    expect(s.snapshot()).toMatchObject({ status: 'synced', dirty: false, pending: 0 });
  });

  it('a new edit cancels the sync-step-2 fallback', () => {
    const s = new SaveState();
    s.setConnection('connected');
    s.setSynced(true);
    s.setConnection('disconnected');
    s.localUpdate();
    s.setConnection('connected');
    s.setSynced(true);
    s.localUpdate();
    s.step2Settled();
    expect(s.snapshot().status).toBe('saving');
  });

  it('keeps offline edits dirty and expects one ack for the sync-step-2 on reconnect', () => {
    const s = new SaveState();
    s.setConnection('connected');
    s.setSynced(true);
    s.setBrowserOffline(true);
    s.setConnection('disconnected');
    expect(s.snapshot().status).toBe('offline');
    s.localUpdate();
    s.localUpdate();
    expect(s.snapshot()).toMatchObject({ status: 'offline', dirty: true, pending: 0 });
    s.setBrowserOffline(false);
    s.setConnection('connecting');
    expect(s.snapshot().status).toBe('reconnecting');
    s.setConnection('connected');
    s.setSynced(true);
    expect(s.snapshot()).toMatchObject({ status: 'saving', pending: 1 });
    s.ack(1);
    expect(s.snapshot().status).toBe('saved');
  });

  it('a permanent close wins over everything', () => {
    const s = new SaveState();
    s.setTerminal();
    s.setBrowserOffline(true);
    expect(s.snapshot().status).toBe('closed');
  });

  it('notifies subscribers and caches snapshots between changes', () => {
    const s = new SaveState();
    let n = 0;
    const off = s.subscribe(() => n++);
    const a = s.snapshot();
    expect(s.snapshot()).toBe(a);
    s.setConnection('connected');
    expect(n).toBe(1);
    expect(s.snapshot()).not.toBe(a);
    off();
    s.setSynced(true);
    expect(n).toBe(1);
  });
});

describe('reconnect policy', () => {
  it('backs off exponentially with jitter, capped', () => {
    expect(backoffWithJitter(1, 10_000, () => 0)).toBe(100);
    expect(backoffWithJitter(1, 10_000, () => 1)).toBe(200);
    expect(backoffWithJitter(5, 10_000, () => 1)).toBe(3200);
    expect(backoffWithJitter(5, 10_000, () => 0)).toBe(1600);
    expect(backoffWithJitter(20, 10_000, () => 1)).toBe(10_000);
    expect(backoffWithJitter(20, 10_000, () => 0)).toBe(5000);
  });

  it('maps permanent close codes', () => {
    expect(closeReasonFor(CLOSE_UNAUTHENTICATED)).toBe('unauthenticated');
    expect(closeReasonFor(CLOSE_FORBIDDEN)).toBe('forbidden');
    expect(closeReasonFor(CLOSE_SCHEMA_OUTDATED)).toBe('outdated');
    // any other 44xx is a permanent refusal, not a schema problem
    expect(closeReasonFor(CLOSE_PERMANENT_FIRST)).toBe('forbidden');
    expect(closeReasonFor(CLOSE_DOC_TOO_LARGE)).toBe('tooLarge');
    expect(closeReasonFor(CLOSE_GONE)).toBe('notFound');
    expect(closeReasonFor(1006)).toBeNull();
    expect(closeReasonFor(CLOSE_NORMAL)).toBeNull();
  });
});
