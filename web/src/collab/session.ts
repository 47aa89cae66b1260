/**
 * CollabSession: one live editing session of a document — the Y.Doc, its IndexedDB copy and the
 * WebSocket provider (save acks, live events, reconnect with backoff, permanent close reasons, offline handling).
 */
import * as decoding from 'lib0/decoding';
import { IndexeddbPersistence } from 'y-indexeddb';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import {
  CLOSE_DOC_TOO_LARGE,
  CLOSE_FORBIDDEN,
  CLOSE_GONE,
  CLOSE_PERMANENT_FIRST,
  CLOSE_PERMANENT_LAST,
  CLOSE_SCHEMA_OUTDATED,
  CLOSE_UNAUTHENTICATED,
  EDITOR_SCHEMA_VERSION,
  MSG_QUIRE_ACK,
} from '../protocol.gen';
import { decodeEventPayload, MSG_QUIRE_EVENT, type QuireEvent } from './events';
import { dedupePresence, type AwarenessUser } from './presence';
import { SaveState } from './saveState';
import { RestoreUndoGuard, versionListRestoreCheck } from './undoGuard';

export { MSG_QUIRE_EVENT };
export type { AwarenessUser };
export const MAX_BACKOFF_MS = 10_000;
/** How long to wait for the ack of a reconnect's sync-step-2 before assuming the server had it all. */
export const STEP2_ACK_WAIT_MS = 4_000;

export type CloseReason = 'unauthenticated' | 'forbidden' | 'outdated' | 'notFound' | 'tooLarge';

export interface CollabUser {
  name: string;
  color: string;
  /** The user's id: the presence bar counts one person per id, however many tabs they have open. */
  id?: string;
}

/** True for a live event announcing that a version was restored. */
export function isRestoreEvent(event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as { type?: unknown; restored_from?: unknown };
  return e.type === 'version' && typeof e.restored_from === 'number';
}

export function wsBaseUrl(loc: Location = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws/doc`;
}

/** Exponential backoff with jitter: 50–100 % of min(2^n × 100 ms, cap). */
export function backoffWithJitter(attempt: number, cap = MAX_BACKOFF_MS, rand: () => number = Math.random): number {
  const base = Math.min(Math.pow(2, attempt) * 100, cap);
  return Math.max(100, Math.round(base * (0.5 + rand() * 0.5)));
}

export function closeReasonFor(code: number): CloseReason | null {
  if (code === CLOSE_UNAUTHENTICATED) return 'unauthenticated';
  if (code === CLOSE_FORBIDDEN) return 'forbidden';
  // the editor's schema (`?schema=`) is older than the server's: reload
  if (code === CLOSE_SCHEMA_OUTDATED) return 'outdated';
  if (code === CLOSE_GONE) return 'notFound';
  if (code === CLOSE_DOC_TOO_LARGE) return 'tooLarge';
  if (code >= CLOSE_PERMANENT_FIRST && code <= CLOSE_PERMANENT_LAST) return 'forbidden';
  return null;
}

/**
 * One open document: Y.Doc + IndexedDB persistence + y-websocket provider,
 * with durable-ack bookkeeping, offline handling and permanent-close detection.
 */
export class CollabSession {
  readonly ydoc = new Y.Doc();
  readonly provider: WebsocketProvider;
  readonly idb: IndexeddbPersistence | null;
  readonly save = new SaveState();
  closeReason: CloseReason | null = null;
  closeMessage = '';
  localLoaded = false;
  private closeListeners = new Set<() => void>();
  private openedOnce = false;
  private failuresBeforeOpen = 0;
  private disposed = false;
  private restoreListeners = new Set<() => void>();
  private eventListeners = new Set<(event: QuireEvent) => void>();
  private connectListeners = new Set<() => void>();
  private readonly restoreCheck: ReturnType<typeof versionListRestoreCheck> | null;
  /** Guards the editor's undo history against restores (set once an editor is attached). */
  undoGuard: RestoreUndoGuard | null = null;

  constructor(
    readonly docId: string,
    user: CollabUser,
    private readonly opts: {
      wsUrl?: string;
      /** Called when the socket keeps failing before opening, to diagnose (HTTP 401/403/404). */
      diagnose?: () => Promise<CloseReason | null>;
      indexeddb?: boolean;
      /** The document's versions, to confirm that a remote change was a restore. */
      listVersions?: () => Promise<{ number: number; label: string; auto: boolean }[]>;
    } = {},
  ) {
    this.restoreCheck = opts.listVersions ? versionListRestoreCheck(opts.listVersions) : null;
    this.idb = opts.indexeddb === false ? null : new IndexeddbPersistence(`quire-doc-${docId}`, this.ydoc);
    this.idb?.whenSynced.then(() => {
      this.localLoaded = true;
    });
    this.provider = new WebsocketProvider(opts.wsUrl ?? wsBaseUrl(), docId, this.ydoc, {
      params: { acks: '1', schema: String(EDITOR_SCHEMA_VERSION), events: '1' },
      maxBackoffTime: MAX_BACKOFF_MS,
      disableBc: true,
      connect: false,
    });
    this.provider.messageHandlers[MSG_QUIRE_ACK] = (_enc, decoder) => {
      const count = decoding.hasContent(decoder) ? decoding.readVarUint(decoder) : 1;
      this.save.ack(count);
    };
    // the handler writes nothing back: the client never sends type 101
    this.provider.messageHandlers[MSG_QUIRE_EVENT] = (_enc, decoder) => {
      const event = decodeEventPayload(decoder);
      if (event) this.dispatchEvent(event);
    };
    this.provider.awareness.setLocalStateField('user', user);

    this.ydoc.on('update', this.onDocUpdate);
    this.provider.on('status', this.onStatus);
    this.provider.on('sync', this.onSync);
    this.provider.on('connection-close', this.onConnectionClose);
    this.provider.on('closed', this.onClosed);
    window.addEventListener('offline', this.onOffline);
    window.addEventListener('online', this.onOnline);
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      this.save.setBrowserOffline(true);
    } else {
      this.provider.connect();
    }
  }

  private onDocUpdate = (_update: Uint8Array, origin: unknown) => {
    if (origin === this.provider || origin === this.idb) return;
    this.save.localUpdate();
  };

  private onStatus = ({ status }: { status: 'connected' | 'disconnected' | 'connecting' }) => {
    if (status === 'connected') {
      this.openedOnce = true;
      this.failuresBeforeOpen = 0;
    }
    this.save.setConnection(status);
    if (status === 'connected') this.connectListeners.forEach((l) => l());
  };

  /** Hand a live event to the listeners (a restore also drops the undo history). */
  dispatchEvent(event: QuireEvent) {
    if (this.disposed) return;
    if (isRestoreEvent(event)) this.notifyRestored();
    for (const l of [...this.eventListeners]) {
      try {
        l(event);
      } catch (e) {
        console.error('live event listener failed', e);
      }
    }
  }

  /** Listen to live events (metadata, role, members, version). */
  onEvent(fn: (event: QuireEvent) => void): () => void {
    this.eventListeners.add(fn);
    return () => this.eventListeners.delete(fn);
  }

  /** Called every time the socket (re)opens, e.g. to refetch what may have changed meanwhile. */
  onConnected(fn: () => void): () => void {
    this.connectListeners.add(fn);
    return () => this.connectListeners.delete(fn);
  }

  private step2Timer: ReturnType<typeof setTimeout> | undefined;

  private onSync = (synced: boolean) => {
    this.save.setSynced(synced);
    clearTimeout(this.step2Timer);
    if (synced && this.save.waitingForStep2) {
      this.step2Timer = setTimeout(() => this.save.step2Settled(), STEP2_ACK_WAIT_MS);
    }
  };

  private onConnectionClose = (event: CloseEvent | null) => {
    // jittered exponential backoff for the reconnect y-websocket is about to schedule
    this.provider.maxBackoffTime = backoffWithJitter(this.provider.wsUnsuccessfulReconnects + 1);
    if (event && !this.openedOnce) {
      this.failuresBeforeOpen += 1;
      if (this.failuresBeforeOpen === 2 || this.failuresBeforeOpen % 6 === 0) void this.runDiagnosis();
    }
    this.openedOnce = false;
  };

  private async runDiagnosis() {
    if (!this.opts.diagnose || this.disposed) return;
    try {
      const reason = await this.opts.diagnose();
      if (reason && !this.disposed) this.terminate(reason, '');
    } catch {
      /* network still down: keep retrying */
    }
  }

  private onClosed = ({ code, reason }: { code: number; reason: string }) => {
    this.terminate(closeReasonFor(code) ?? 'forbidden', reason);
  };

  private terminate(reason: CloseReason, message: string) {
    this.closeReason = reason;
    this.closeMessage = message;
    this.provider.shouldConnect = false;
    this.provider.disconnect();
    this.save.setTerminal();
    this.closeListeners.forEach((l) => l());
  }

  private onOffline = () => {
    this.save.setBrowserOffline(true);
    // browsers keep a dead socket open for a long time: drop it now, reconnect when back
    if (this.provider.shouldConnect) this.provider.disconnect();
  };

  private onOnline = () => {
    this.save.setBrowserOffline(false);
    if (!this.closeReason && !this.disposed) {
      this.provider.wsUnsuccessfulReconnects = 0;
      this.provider.connect();
    }
  };

  /**
   * A version was restored (this client's own request succeeded, or the server said
   * so): the editor's undo history no longer matches the document and is dropped.
   */
  notifyRestored() {
    void this.restoreCheck?.rebase();
    this.restoreListeners.forEach((l) => l());
  }

  onRestore(fn: () => void): () => void {
    this.restoreListeners.add(fn);
    return () => this.restoreListeners.delete(fn);
  }

  /**
   * Protect an editor's undo history against restores (see `RestoreUndoGuard`).
   * Returns the function that detaches it again.
   */
  attachUndoGuard(undoManager: Y.UndoManager, onCleared?: () => void): () => void {
    const guard = new RestoreUndoGuard(this.ydoc, undoManager, {
      // the UndoManager's tracked origins are exactly this client's editor transactions
      isLocal: (origin) => undoManager.trackedOrigins.has(origin),
      confirmRestore: this.restoreCheck?.check,
      onCleared,
    });
    this.undoGuard = guard;
    const off = this.onRestore(() => guard.clear());
    return () => {
      off();
      guard.destroy();
      if (this.undoGuard === guard) this.undoGuard = null;
    };
  }

  /** Run an undo/redo once any pending restore check has answered. */
  runHistory(action: () => void) {
    if (this.undoGuard) this.undoGuard.run(action);
    else action();
  }

  onClose(fn: () => void): () => void {
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  /** Collaborators currently in the document, one entry per person with a tab count (self first). */
  users(): AwarenessUser[] {
    return dedupePresence(this.provider.awareness.getStates(), this.ydoc.clientID);
  }

  /**
   * Tear down and forget this device's copy of the document (the IndexedDB database): used when
   * the server stopped accepting this client's edits, so only the server's state may remain.
   */
  async destroyAndForgetLocal(): Promise<void> {
    const idb = this.idb;
    this.destroy({ keepIdb: true });
    if (idb) await idb.clearData();
  }

  destroy(opts: { keepIdb?: boolean } = {}) {
    this.disposed = true;
    this.restoreListeners.clear();
    this.eventListeners.clear();
    this.connectListeners.clear();
    clearTimeout(this.step2Timer);
    window.removeEventListener('offline', this.onOffline);
    window.removeEventListener('online', this.onOnline);
    this.ydoc.off('update', this.onDocUpdate);
    this.provider.off('status', this.onStatus);
    this.provider.off('sync', this.onSync);
    this.provider.off('connection-close', this.onConnectionClose);
    this.provider.off('closed', this.onClosed);
    this.provider.destroy();
    if (!opts.keepIdb) void this.idb?.destroy();
    this.ydoc.destroy();
  }
}
