/**
 * Keeps a local undo from duplicating or resurrecting text after a version restore.
 *
 * A restore reaches every client as an ordinary remote change (a CRDT revert): the
 * content deleted since the version is re-created as *new* items, and what was added
 * since is deleted. The editor's Yjs UndoManager records only this client's own
 * transactions, so the restore itself never lands on anyone's undo stack. But the
 * stack still holds the local changes the restore has already reversed:
 *
 * - undoing a local deletion re-inserts the deleted items a second time, next to the
 *   copies the restore made ("Alpha beta beta gamma.");
 * - undoing a local insertion the restore removed is a no-op, and the UndoManager then
 *   silently moves on to older entries, re-inserting text the restored version never had.
 *
 * So whenever a restore happens the whole undo/redo history is dropped. A restore is
 * recognised in these ways:
 *
 * 1. The restorer's own UI calls {@link RestoreUndoGuard.clear} once the request succeeds
 *    (and a live "restore" event, where the server sends one, does the same).
 * 2. Structurally, on the change itself: a CRDT revert copies each deleted item and
 *    inserts the copy immediately before the original, so the copy's *right origin* is
 *    the deleted original and its content is the same. A remote item whose right origin
 *    is an item this client deleted (one still held by its undo/redo stacks) and whose
 *    content matches can only come from a revert (a restore, or someone else re-doing
 *    the very same deletion); undoing that deletion again would duplicate it, so the
 *    history is dropped at once, before any key press can reach it.
 * 3. A remote change that only deletes items this client inserted looks exactly like a
 *    collaborator deleting them, so it is confirmed out of band (`confirmRestore`, e.g.
 *    "has an automatic *Before restore* version appeared?"). Undo and redo issued through
 *    {@link RestoreUndoGuard.run} wait for that answer, so a Ctrl+Z pressed in between
 *    cannot slip through.
 */
import * as Y from 'yjs';

export interface RestoreUndoGuardOptions {
  /** True for transaction origins that are this client's own edits (not checked). */
  isLocal: (origin: unknown) => boolean;
  /** Asked when a remote change removed some of this client's undoable insertions. */
  confirmRestore?: () => Promise<boolean>;
  /** Called after the history was dropped (to refresh undo/redo buttons). */
  onCleared?: () => void;
}

type StackItem = Y.UndoManager['undoStack'][number];
type DeleteSet = StackItem['deletions'];

/** Whether `ds` marks any id in [clock, clock + len) of `client`. */
function dsOverlaps(ds: DeleteSet, client: number, clock: number, len: number): boolean {
  const ranges = ds.clients.get(client);
  if (!ranges) return false;
  return ranges.some((r) => r.clock < clock + len && clock < r.clock + r.len);
}

function sameTypeKind(a: Y.AbstractType<unknown>, b: Y.AbstractType<unknown>): boolean {
  if (a instanceof Y.XmlElement && b instanceof Y.XmlElement) return a.nodeName === b.nodeName;
  if (a instanceof Y.XmlText || b instanceof Y.XmlText) return a instanceof Y.XmlText && b instanceof Y.XmlText;
  return Object.getPrototypeOf(a) === Object.getPrototypeOf(b);
}

/** Does the remote item `copy` carry the same content as `orig` from `offset` on? */
function sameContent(orig: Y.Item, offset: number, copy: Y.Item): boolean {
  const a = orig.content;
  const b = copy.content;
  // a garbage-collected original cannot be compared: err on the side of not duplicating
  if (a instanceof Y.ContentDeleted) return true;
  if (a instanceof Y.ContentString && b instanceof Y.ContentString) {
    const rest = a.str.slice(offset);
    return rest.startsWith(b.str) || b.str.startsWith(rest);
  }
  if (a instanceof Y.ContentType && b instanceof Y.ContentType) return sameTypeKind(a.type, b.type);
  if (a instanceof Y.ContentFormat && b instanceof Y.ContentFormat) {
    return a.key === b.key && JSON.stringify(a.value) === JSON.stringify(b.value);
  }
  return Object.getPrototypeOf(a) === Object.getPrototypeOf(b);
}

/**
 * True when `structs` (a decoded remote update, already applied to `doc`) re-create an
 * item deleted by one of `stack`'s entries: a copy placed right before the original.
 */
export function recreatesDeleted(doc: Y.Doc, structs: Array<Y.Item | Y.GC | Y.Skip>, stack: StackItem[]): boolean {
  for (const s of structs) {
    if (!(s instanceof Y.Item) || s.rightOrigin === null) continue;
    const target = s.rightOrigin;
    if (!stack.some((si) => Y.isDeleted(si.deletions, target))) continue;
    let orig: Y.Item | Y.GC;
    try {
      orig = Y.getItem(doc.store, target);
    } catch {
      continue;
    }
    if (!(orig instanceof Y.Item) || !orig.deleted) continue;
    if (sameContent(orig, target.clock - orig.id.clock, s)) return true;
  }
  return false;
}

/** True when the delete set `ds` removes something one of `stack`'s entries inserted. */
export function deletesInserted(ds: DeleteSet, stack: StackItem[]): boolean {
  for (const [client, ranges] of ds.clients) {
    for (const r of ranges) {
      if (stack.some((si) => dsOverlaps(si.insertions, client, r.clock, r.len))) return true;
    }
  }
  return false;
}

export class RestoreUndoGuard {
  private checking: Promise<void> | null = null;
  private recheck = false;
  private destroyed = false;

  constructor(
    private readonly doc: Y.Doc,
    private readonly undoManager: Y.UndoManager,
    private readonly opts: RestoreUndoGuardOptions,
  ) {
    doc.on('update', this.onUpdate);
  }

  /** Drop the whole undo and redo history (a restore happened). */
  clear() {
    if (this.destroyed) return;
    const had = this.undoManager.undoStack.length + this.undoManager.redoStack.length > 0;
    this.undoManager.clear(true, true);
    if (had) this.opts.onCleared?.();
  }

  /** True while a remote change is being checked for a restore. */
  get busy(): boolean {
    return this.checking !== null;
  }

  /** Resolves once no restore check is in flight. */
  async settled(): Promise<void> {
    while (this.checking) await this.checking;
  }

  /**
   * Runs an undo/redo now, or once a pending restore check has answered (so the
   * action sees the history the check leaves behind).
   */
  run(action: () => void) {
    if (!this.checking) {
      action();
      return;
    }
    void this.settled().then(() => {
      if (!this.destroyed) action();
    });
  }

  destroy() {
    this.destroyed = true;
    this.doc.off('update', this.onUpdate);
  }

  private onUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin === this.undoManager || this.opts.isLocal(origin)) return;
    const stack = [...this.undoManager.undoStack, ...this.undoManager.redoStack];
    if (stack.length === 0) return;
    let decoded: ReturnType<typeof Y.decodeUpdate>;
    try {
      decoded = Y.decodeUpdate(update);
    } catch {
      return;
    }
    if (recreatesDeleted(this.doc, decoded.structs, stack)) {
      this.clear();
    } else if (deletesInserted(decoded.ds, stack)) {
      this.scheduleCheck();
    }
  };

  private scheduleCheck() {
    const confirm = this.opts.confirmRestore;
    if (!confirm) return;
    if (this.checking) {
      // the running check may have looked before this change's restore was recorded
      this.recheck = true;
      return;
    }
    this.checking = (async () => {
      do {
        this.recheck = false;
        try {
          if (await confirm()) this.clear();
        } catch {
          // offline or refused: keep the history (a collaborator's deletion is the common case)
        }
      } while (this.recheck && !this.destroyed);
    })().finally(() => {
      this.checking = null;
    });
  }
}

interface VersionLike {
  number: number;
  label: string;
  auto: boolean;
}

/** Label the server gives the automatic version it saves just before a restore. */
const BEFORE_RESTORE = /^before restore\b/i;

/**
 * A `confirmRestore` backed by the version list: the server saves an automatic
 * "Before restore to n" version right before it applies a restore, so a restore
 * happened since the last look iff such a version is newer than the newest one seen.
 * `rebase()` records the current list as seen (e.g. after this client's own restore).
 */
export function versionListRestoreCheck(list: () => Promise<VersionLike[]>) {
  let seen: number | null = null;
  const newest = (vs: VersionLike[]) => vs.reduce((m, v) => Math.max(m, v.number), 0);
  const rebase = async () => {
    try {
      const vs = await list();
      seen = Math.max(seen ?? 0, newest(vs));
    } catch {
      /* the next check sets the baseline */
    }
  };
  const baseline = rebase();
  const check = async (): Promise<boolean> => {
    await baseline;
    const vs = await list();
    const before = seen;
    seen = Math.max(seen ?? 0, newest(vs));
    if (before === null) return false;
    return vs.some((v) => v.number > before && v.auto && BEFORE_RESTORE.test(v.label));
  };
  return { check, rebase };
}
