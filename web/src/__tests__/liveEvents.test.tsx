/**
 * Live events: frame decoding (type 101 → typed event), the session handing them to listeners without
 * answering, metadata applied without overwriting a title being typed, and document-list events.
 */
import { act, fireEvent, render, renderHook, screen } from '@testing-library/react';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { canEditBody, decodeEventPayload, encodeEventFrame, MSG_QUIRE_EVENT, parseEvent, type QuireEvent } from '../collab/events';
import { CollabSession } from '../collab/session';
import { useDocumentMeta } from '../collab/useDocumentMeta';
import { applyListEvent, parseListEvent } from '../features/documents/listEvents';
import { TitleInput } from '../features/editor/TitleInput';
import { makeDoc } from './helpers';

const frameDecoder = (event: unknown) => {
  const d = decoding.createDecoder(encodeEventFrame(event));
  expect(decoding.readVarUint(d)).toBe(MSG_QUIRE_EVENT);
  return d;
};

describe('event decoding', () => {
  it('decodes each event type from a type-101 frame', () => {
    const doc = makeDoc({ title: 'New', version: 7 });
    expect(decodeEventPayload(frameDecoder({ type: 'metadata', document: doc }))).toEqual({ type: 'metadata', document: doc });
    expect(decodeEventPayload(frameDecoder({ type: 'role', role: 'viewer' }))).toEqual({ type: 'role', role: 'viewer' });
    const members = [{ user_id: 'u1', username: 'bob', role: 'editor' }];
    expect(decodeEventPayload(frameDecoder({ type: 'members', members }))).toEqual({ type: 'members', members });
    const version = { number: 3, label: 'Before restore to 1', auto: true, created_at: 'x', created_by: 'u' };
    expect(decodeEventPayload(frameDecoder({ type: 'version', version, restored_from: 1 }))).toEqual({
      type: 'version',
      version,
      restored_from: 1,
    });
  });

  it('ignores unknown, malformed and not-JSON events', () => {
    expect(decodeEventPayload(frameDecoder({ type: 'comment', thread: {} }))).toBeNull();
    expect(decodeEventPayload(frameDecoder({ type: 'metadata', document: { id: 1 } }))).toBeNull();
    expect(decodeEventPayload(frameDecoder({ type: 'role' }))).toBeNull();
    expect(parseEvent('metadata')).toBeNull();
    const enc = encoding.createEncoder();
    encoding.writeVarString(enc, '{not json');
    expect(decodeEventPayload(decoding.createDecoder(encoding.toUint8Array(enc)))).toBeNull();
  });

  it('only owners and editors may edit the body', () => {
    expect(canEditBody('owner')).toBe(true);
    expect(canEditBody('editor')).toBe(true);
    expect(canEditBody('viewer')).toBe(false);
    expect(canEditBody('commenter')).toBe(false);
    expect(canEditBody(null)).toBe(false);
  });
});

describe('CollabSession events', () => {
  afterEach(() => vi.restoreAllMocks());

  it('hands decoded events to listeners, writes no answer, and marks a restore', () => {
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false); // do not connect
    const s = new CollabSession('doc-1', { name: 'bob', color: '#123456' }, { indexeddb: false });
    const seen: QuireEvent[] = [];
    s.onEvent((e) => seen.push(e));
    const restored = vi.fn();
    s.onRestore(restored);
    const handler = s.provider.messageHandlers[MSG_QUIRE_EVENT];
    const version = { number: 4, label: 'Before restore to 2', auto: true, created_at: 'x', created_by: 'u' };
    for (const ev of [{ type: 'role', role: 'viewer' }, { type: 'version', version, restored_from: 2 }, { type: 'nope' }]) {
      const enc = encoding.createEncoder();
      handler(enc, frameDecoder(ev), s.provider, true, MSG_QUIRE_EVENT);
      expect(encoding.length(enc)).toBe(0); // the client never sends type 101 (nor anything in reply)
    }
    expect(seen.map((e) => e.type)).toEqual(['role', 'version']);
    expect(restored).toHaveBeenCalledOnce();
    s.destroy();
  });
});

describe('applying metadata', () => {
  it('a newer document replaces the shown one, an older one is ignored, the role is kept', () => {
    const { result } = renderHook(() => useDocumentMeta(makeDoc({ version: 3, role: 'editor' }), { offlineQueue: false }));
    act(() => result.current.applyRemote(makeDoc({ title: 'Renamed', status: 'review', version: 4, role: undefined })));
    expect(result.current.doc).toMatchObject({ title: 'Renamed', status: 'review', version: 4, role: 'editor' });
    act(() => result.current.applyRemote(makeDoc({ title: 'Old', version: 2 })));
    expect(result.current.doc.title).toBe('Renamed');
    act(() => {
      expect(result.current.applyRole('viewer')).toBe('editor');
    });
    expect(result.current.doc.role).toBe('viewer');
  });

  it('a live title change does not overwrite what the user is typing; the save starts from the old version', () => {
    const commit = vi.fn();
    const { rerender } = render(<TitleInput value="Roadmap" version={3} readOnly={false} onCommit={commit} />);
    const input = screen.getByTestId('title-input') as HTMLInputElement;
    input.focus();
    fireEvent.change(input, { target: { value: 'Roadmap 2027' } });
    rerender(<TitleInput value="Alice's title" version={4} readOnly={false} onCommit={commit} />);
    expect(input.value).toBe('Roadmap 2027');
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(commit).toHaveBeenCalledWith('Roadmap 2027', 3);
  });

  it('a live title change replaces the field when the user is not typing', () => {
    const { rerender } = render(<TitleInput value="Roadmap" version={3} readOnly={false} onCommit={() => {}} />);
    rerender(<TitleInput value="Alice's title" version={4} readOnly={false} onCommit={() => {}} />);
    expect((screen.getByTestId('title-input') as HTMLInputElement).value).toBe("Alice's title");
  });
});

describe('document list events', () => {
  const list = (items = [makeDoc({ id: 'a', version: 1 }), makeDoc({ id: 'b', version: 1 })]) => ({
    items,
    total: items.length,
    limit: 25,
    offset: 0,
  });

  it('parses SSE data lines', () => {
    const doc = makeDoc({ id: 'a' });
    expect(parseListEvent('updated', JSON.stringify({ type: 'updated', document: doc }))).toEqual({ type: 'updated', document: doc });
    expect(parseListEvent('deleted', JSON.stringify({ type: 'deleted', document_id: 'a' }))).toEqual({ type: 'deleted', document_id: 'a' });
    expect(parseListEvent('updated', 'nope')).toBeNull();
    expect(parseListEvent('mystery', JSON.stringify({ type: 'mystery' }))).toBeNull();
  });

  it('updates a row (moving it to the top), inserts a new one, removes unshared/deleted ones', () => {
    let l = applyListEvent(list(), { type: 'updated', document: makeDoc({ id: 'b', title: 'B2', version: 2 }) });
    expect(l.items.map((d) => [d.id, d.title])).toEqual([
      ['b', 'B2'],
      ['a', 'Roadmap'],
    ]);
    l = applyListEvent(l, { type: 'shared', document: makeDoc({ id: 'c', title: 'New' }) });
    expect(l.items.map((d) => d.id)).toEqual(['c', 'b', 'a']);
    expect(l.total).toBe(3);
    l = applyListEvent(l, { type: 'unshared', document_id: 'b' });
    l = applyListEvent(l, { type: 'deleted', document_id: 'a' });
    expect(l.items.map((d) => d.id)).toEqual(['c']);
    expect(l.total).toBe(1);
  });

  it('respects filters and ignores stale versions', () => {
    const l = list();
    expect(applyListEvent(l, { type: 'updated', document: makeDoc({ id: 'a', version: 0, title: 'old' }) })).toBe(l);
    const filtered = applyListEvent(l, { type: 'updated', document: makeDoc({ id: 'a', version: 2, status: 'review' }) }, { status: 'draft' });
    expect(filtered.items.map((d) => d.id)).toEqual(['b']);
    const notAdded = applyListEvent(l, { type: 'created', document: makeDoc({ id: 'z', tags: [] }) }, { tag: 'plans' });
    expect(notAdded.items).toHaveLength(2);
  });
});
