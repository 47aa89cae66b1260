/** Live Quire events (WebSocket message type 101, `?events=1`): decoding and validation into a typed union. */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Member, QuireDocument, Role, Thread, Version } from '../api/types';
import { MSG_QUIRE_EVENT } from '../protocol.gen';

/** Message type of a Quire event frame; the server sends it, the client never does. */
export { MSG_QUIRE_EVENT };

export type QuireEvent =
  | { type: 'metadata'; document: QuireDocument }
  /** The document was published (or republished) / unpublished; `document` is its new state. */
  | { type: 'published' | 'unpublished'; document: QuireDocument }
  /** The receiver's new role (a string: roles the client does not know, e.g. commenter, count as below editor). */
  | { type: 'role'; role: Role | (string & {}) }
  | { type: 'members'; members: Member[] }
  | { type: 'version'; version: Version; restored_from?: number }
  /** A comment thread created or changed (`thread`), or deleted (`deleted_thread`: its id). */
  | { type: 'comment'; thread: Thread }
  | { type: 'comment'; deleted_thread: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isDocument(v: unknown): v is QuireDocument {
  return (
    isObject(v) &&
    typeof v.id === 'string' &&
    typeof v.title === 'string' &&
    typeof v.status === 'string' &&
    Array.isArray(v.tags) &&
    typeof v.version === 'number'
  );
}

function isMember(v: unknown): v is Member {
  return isObject(v) && typeof v.user_id === 'string' && typeof v.username === 'string' && typeof v.role === 'string';
}

function isThread(v: unknown): v is Thread {
  return isObject(v) && typeof v.id === 'string' && typeof v.resolved === 'boolean' && Array.isArray(v.comments);
}

function isVersion(v: unknown): v is Version {
  return isObject(v) && typeof v.number === 'number';
}

/** Validate a parsed event object; unknown or malformed events give null (ignored). */
export function parseEvent(raw: unknown): QuireEvent | null {
  if (!isObject(raw)) return null;
  switch (raw.type) {
    case 'metadata':
      return isDocument(raw.document) ? { type: 'metadata', document: raw.document } : null;
    case 'published':
    case 'unpublished':
      return isDocument(raw.document) ? { type: raw.type, document: raw.document } : null;
    case 'role':
      return typeof raw.role === 'string' && raw.role ? { type: 'role', role: raw.role } : null;
    case 'members':
      return Array.isArray(raw.members) && raw.members.every(isMember) ? { type: 'members', members: raw.members } : null;
    case 'version':
      if (!isVersion(raw.version)) return null;
      return typeof raw.restored_from === 'number'
        ? { type: 'version', version: raw.version, restored_from: raw.restored_from }
        : { type: 'version', version: raw.version };
    case 'comment':
      if (isThread(raw.thread)) return { type: 'comment', thread: raw.thread };
      return typeof raw.deleted_thread === 'string' ? { type: 'comment', deleted_thread: raw.deleted_thread } : null;
    default:
      return null;
  }
}

/** Decode the payload of a type-101 frame (the varuint type already read): a varString of JSON. */
export function decodeEventPayload(decoder: decoding.Decoder): QuireEvent | null {
  try {
    return parseEvent(JSON.parse(decoding.readVarString(decoder)));
  } catch {
    return null;
  }
}

/** Encode an event frame as the server sends it (tests and tools). */
export function encodeEventFrame(event: unknown): Uint8Array {
  const enc = encoding.createEncoder();
  encoding.writeVarUint(enc, MSG_QUIRE_EVENT);
  encoding.writeVarString(enc, JSON.stringify(event));
  return encoding.toUint8Array(enc);
}

/** True when `role` may write comments (commenters, editors, owners). */
export const canComment = (role: string | null | undefined): boolean =>
  canEditBody(role) || role === ('commenter' satisfies Role);

/** True when `role` may change the document body. */
export const canEditBody = (role: string | null | undefined): boolean =>
  role === ('owner' satisfies Role) || role === ('editor' satisfies Role);
