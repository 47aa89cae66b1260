/**
 * Pure bookkeeping behind the "Saving… / All changes saved" indicator.
 *
 * With `?acks=1` the server sends message type 100 (varuint count) when every
 * update it has received from this connection is durable ("your updates up to
 * now are durable"; the count is the size of the last batch). So an ack clears
 * everything sent before it. Changes made offline go to the server on
 * reconnect as one sync-step-2; if the server already had them it has nothing
 * to persist and sends no ack, so `step2Settled()` (called a few seconds after
 * syncing) stops waiting and shows "Up to date" instead of "All changes saved".
 */
export type Connection = 'connecting' | 'connected' | 'disconnected';

export type SaveStatus =
  | 'connecting' // first connection attempt, nothing synced yet
  | 'syncing' // connected, exchanging state
  | 'saving' // local changes not yet durable
  | 'saved' // every local change acknowledged as durable
  | 'synced' // in sync, no local changes (or server confirmed nothing pending)
  | 'offline' // no connection; local edits kept in IndexedDB
  | 'reconnecting' // connection lost, trying again
  | 'closed'; // permanently closed (auth/permission/schema)

export interface SaveSnapshot {
  status: SaveStatus;
  pending: number;
  dirty: boolean;
  lastSavedAt: number | null;
}

export class SaveState {
  private connection: Connection = 'connecting';
  private everSynced = false;
  private synced = false;
  private browserOffline = false;
  private terminal = false;
  /** Update messages sent on the live socket and not yet acknowledged. */
  private pending = 0;
  /** Local changes that the server has not confirmed durable. */
  private dirty = false;
  private ackedSomething = false;
  private awaitingStep2 = false;
  private lastSavedAt: number | null = null;
  private listeners = new Set<() => void>();
  private cached: SaveSnapshot | null = null;

  constructor(private readonly now: () => number = () => Date.now()) {}

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed() {
    this.cached = null;
    this.listeners.forEach((l) => l());
  }

  setConnection(c: Connection) {
    if (c === this.connection) return;
    this.connection = c;
    if (c !== 'connected') {
      this.synced = false;
      // unacknowledged messages on a dead socket are re-sent as sync step 2
      this.pending = 0;
      this.awaitingStep2 = false;
    }
    this.changed();
  }

  setSynced(s: boolean) {
    if (s === this.synced) return;
    this.synced = s;
    if (s) {
      this.everSynced = true;
      // our missing changes went to the server as one sync-step-2 message
      if (this.dirty && this.pending === 0) {
        this.pending = 1;
        this.awaitingStep2 = true;
      }
    }
    this.changed();
  }

  setBrowserOffline(off: boolean) {
    if (off === this.browserOffline) return;
    this.browserOffline = off;
    this.changed();
  }

  setTerminal() {
    this.terminal = true;
    this.changed();
  }

  /** A change made on this client (typing, undo, local restore from IndexedDB). */
  localUpdate() {
    this.dirty = true;
    this.awaitingStep2 = false;
    if (this.connection === 'connected') this.pending += 1;
    this.changed();
  }

  /** Server message 100: everything received from us so far is durable (`count` in the last batch). */
  ack(_count: number) {
    this.ackedSomething = true;
    this.awaitingStep2 = false;
    this.pending = 0;
    if (this.dirty) {
      this.dirty = false;
      this.lastSavedAt = this.now();
    }
    this.changed();
  }

  /** Whether we are waiting for the ack of a reconnect's sync-step-2 only. */
  get waitingForStep2(): boolean {
    return this.awaitingStep2;
  }

  /** No ack came for the reconnect sync-step-2: the server already had our changes. */
  step2Settled() {
    if (!this.awaitingStep2 || !this.synced || this.pending !== 1) return;
    this.awaitingStep2 = false;
    this.pending = 0;
    this.dirty = false;
    this.lastSavedAt = null;
    this.changed();
  }

  /** Whether an acknowledgement was ever received (i.e. the server supports acks). */
  get supportsAcks(): boolean {
    return this.ackedSomething;
  }

  snapshot(): SaveSnapshot {
    if (this.cached) return this.cached;
    let status: SaveStatus;
    if (this.terminal) status = 'closed';
    else if (this.browserOffline) status = 'offline';
    else if (this.connection !== 'connected') {
      status = this.everSynced ? (this.connection === 'connecting' ? 'reconnecting' : 'offline') : 'connecting';
    } else if (!this.synced) status = 'syncing';
    else if (this.dirty) status = 'saving';
    else status = this.lastSavedAt !== null ? 'saved' : 'synced';
    this.cached = { status, pending: this.pending, dirty: this.dirty, lastSavedAt: this.lastSavedAt };
    return this.cached;
  }
}
