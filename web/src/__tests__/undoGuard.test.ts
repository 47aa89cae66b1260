/**
 * RestoreUndoGuard: after a version restore the undo history is dropped, for own and remote restores.
 */
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { RestoreUndoGuard, versionListRestoreCheck } from '../collab/undoGuard';

const LOCAL = 'local-editor';
const REMOTE = 'provider';

/**
 * The server's revert, done the same way: load the old state into a fresh document,
 * bring it forward to the live state under a tracked origin and undo that step.
 */
function restoreUpdate(live: Y.Doc, oldState: Uint8Array): Uint8Array {
  const tmp = new Y.Doc();
  const frag = tmp.getXmlFragment('default');
  Y.applyUpdate(tmp, oldState);
  const um = new Y.UndoManager(frag, { trackedOrigins: new Set(['restore']) });
  Y.applyUpdate(tmp, Y.encodeStateAsUpdate(live, Y.encodeStateVector(tmp)), 'restore');
  um.undo();
  return Y.encodeStateAsUpdate(tmp, Y.encodeStateVector(live));
}

/** A server document and two clients wired to it (changes relayed at once). */
function setup() {
  const server = new Y.Doc();
  const mk = () => {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(server), REMOTE);
    const um = new Y.UndoManager(doc.getXmlFragment('default'), { trackedOrigins: new Set([LOCAL]), captureTimeout: 0 });
    return { doc, um, frag: doc.getXmlFragment('default') };
  };
  const a = mk();
  const b = mk();
  const clients = [a, b];
  for (const c of clients) {
    c.doc.on('update', (u: Uint8Array, origin: unknown) => {
      if (origin === REMOTE) return;
      Y.applyUpdate(server, u, c);
      for (const o of clients) if (o !== c) Y.applyUpdate(o.doc, u, REMOTE);
    });
  }
  const restore = (old: Uint8Array) => {
    const u = restoreUpdate(server, old);
    Y.applyUpdate(server, u);
    for (const c of clients) Y.applyUpdate(c.doc, u, REMOTE);
  };
  return { server, a, b, restore };
}

const text = (frag: Y.XmlFragment) =>
  frag
    .toArray()
    .map((p) => (p as Y.XmlElement).toArray().map((t) => (t as Y.XmlText).toString()).join(''))
    .join('\n');

function addParagraph(c: { doc: Y.Doc; frag: Y.XmlFragment }, s: string) {
  c.doc.transact(() => {
    const p = new Y.XmlElement('paragraph');
    const t = new Y.XmlText();
    t.insert(0, s);
    p.insert(0, [t]);
    c.frag.insert(c.frag.length, [p]);
  }, LOCAL);
}

const textAt = (frag: Y.XmlFragment, i: number) => (frag.get(i) as Y.XmlElement).get(0) as Y.XmlText;
const edit = (doc: Y.Doc, f: () => void) => doc.transact(f, LOCAL);

function restoredScenario() {
  const env = setup();
  const { a } = env;
  addParagraph(a, 'Alpha beta gamma.');
  addParagraph(a, 'Second para.');
  const v1 = Y.encodeStateAsUpdate(env.server);
  edit(a.doc, () => textAt(a.frag, 0).delete(5, 5));
  edit(a.doc, () => textAt(a.frag, 1).delete(0, 12));
  expect(text(a.frag)).toBe('Alpha gamma.\n');
  return { ...env, v1 };
}

describe('undo after a restore', () => {
  it('without the guard, undoing a deletion the restore reversed duplicates the text', () => {
    const { a, restore, v1 } = restoredScenario();
    restore(v1);
    expect(text(a.frag)).toBe('Alpha beta gamma.\nSecond para.');
    a.um.undo();
    a.um.undo();
    expect(text(a.frag)).toBe('Alpha beta beta gamma.\nSecond para.Second para.');
  });

  it('drops the history when a remote restore re-creates what this client deleted', () => {
    const { a, restore, v1 } = restoredScenario();
    const onCleared = vi.fn();
    const confirmRestore = vi.fn(async () => false);
    const guard = new RestoreUndoGuard(a.doc, a.um, { isLocal: (o) => o === LOCAL, onCleared, confirmRestore });
    restore(v1);
    expect(a.um.undoStack).toHaveLength(0);
    expect(a.um.redoStack).toHaveLength(0);
    expect(onCleared).toHaveBeenCalledTimes(1);
    // decided from the change itself, no round trip needed
    expect(confirmRestore).not.toHaveBeenCalled();
    a.um.undo();
    expect(text(a.frag)).toBe('Alpha beta gamma.\nSecond para.');
    // later local edits are undoable again
    edit(a.doc, () => textAt(a.frag, 0).insert(17, ' Delta.'));
    a.um.undo();
    expect(text(a.frag)).toBe('Alpha beta gamma.\nSecond para.');
    guard.destroy();
  });

  it('keeps the history for ordinary remote edits, even at the spot of a local deletion', () => {
    const { a, b } = restoredScenario();
    const guard = new RestoreUndoGuard(a.doc, a.um, { isLocal: (o) => o === LOCAL });
    // bob types right where alice deleted " beta", and adds text elsewhere
    edit(b.doc, () => textAt(b.frag, 0).insert(5, ' BOB'));
    edit(b.doc, () => textAt(b.frag, 1).insert(0, 'Bob para.'));
    expect(text(a.frag)).toBe('Alpha BOB gamma.\nBob para.');
    expect(a.um.undoStack).toHaveLength(4);
    a.um.undo();
    a.um.undo();
    expect(text(a.frag)).toBe('Alpha beta BOB gamma.\nSecond para.Bob para.');
    guard.destroy();
  });

  it('asks whether a remote deletion of local text was a restore, and undo waits for the answer', async () => {
    const env = setup();
    const { a, b } = env;
    addParagraph(a, 'Keep.');
    const v1 = Y.encodeStateAsUpdate(env.server);
    edit(a.doc, () => textAt(a.frag, 0).insert(5, ' Later.'));
    let answer!: (v: boolean) => void;
    const confirmRestore = vi.fn(() => new Promise<boolean>((r) => (answer = r)));
    const guard = new RestoreUndoGuard(a.doc, a.um, { isLocal: (o) => o === LOCAL, confirmRestore });

    // a collaborator deletes alice's text: not a restore, the history stays
    edit(b.doc, () => textAt(b.frag, 0).delete(5, 3));
    expect(confirmRestore).toHaveBeenCalledTimes(1);
    expect(guard.busy).toBe(true);
    answer(false);
    await guard.settled();
    expect(a.um.undoStack).toHaveLength(2);

    // a restore that only deletes alice's insertions
    env.restore(v1);
    expect(text(a.frag)).toBe('Keep.');
    expect(confirmRestore).toHaveBeenCalledTimes(2);
    const undo = vi.fn(() => a.um.undo());
    guard.run(undo);
    expect(undo).not.toHaveBeenCalled();
    answer(true);
    await guard.settled();
    await Promise.resolve();
    expect(undo).toHaveBeenCalledTimes(1);
    expect(a.um.undoStack).toHaveLength(0);
    // without the guard this undo would have removed "Keep." (the older entry)
    expect(text(a.frag)).toBe('Keep.');
    guard.destroy();
  });

  it('clear() drops undo and redo stacks; the restore itself is never undoable', () => {
    const { a, restore, v1 } = restoredScenario();
    a.um.undo();
    expect(a.um.redoStack).toHaveLength(1);
    const onCleared = vi.fn();
    const guard = new RestoreUndoGuard(a.doc, a.um, { isLocal: (o) => o === LOCAL, onCleared });
    guard.clear(); // what the restorer's UI does once its request succeeded
    expect(onCleared).toHaveBeenCalledTimes(1);
    expect(a.um.undoStack).toHaveLength(0);
    expect(a.um.redoStack).toHaveLength(0);
    restore(v1);
    expect(a.um.undoStack).toHaveLength(0);
    a.um.undo();
    a.um.redo();
    expect(text(a.frag)).toBe('Alpha beta gamma.\nSecond para.');
    guard.destroy();
  });
});

describe('versionListRestoreCheck', () => {
  const v = (number: number, label: string, auto = false) => ({ number, label, auto });

  it('reports a new automatic "Before restore" version since the last look', async () => {
    let list = [v(1, 'v1')];
    const { check, rebase } = versionListRestoreCheck(async () => list);
    expect(await check()).toBe(false);
    list = [v(1, 'v1'), v(2, 'named', false), v(3, 'Before restore to 5', false)];
    expect(await check()).toBe(false); // not automatic
    list = [...list, v(4, 'Auto save', true)];
    expect(await check()).toBe(false);
    list = [...list, v(5, 'Before restore to 1', true)];
    expect(await check()).toBe(true);
    expect(await check()).toBe(false); // already seen
    list = [...list, v(6, 'Before restore to 2', true)];
    await rebase();
    expect(await check()).toBe(false);
  });

  it('takes the first successful answer as the baseline when the first look fails', async () => {
    let fail = true;
    const list = [v(1, 'Before restore to 1', true)];
    const { check } = versionListRestoreCheck(async () => {
      if (fail) throw new Error('offline');
      return list;
    });
    fail = false;
    expect(await check()).toBe(false);
    list.push(v(2, 'Before restore to 1', true));
    expect(await check()).toBe(true);
  });
});
