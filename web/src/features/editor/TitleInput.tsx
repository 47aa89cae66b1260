/**
 * The document title field: saves on Enter (then moves into the body) or blur, Escape reverts; a live change
 * from someone else never replaces what the user is typing (their save then meets the 409 flow).
 *
 * The field holds local text only while the user types. Otherwise it shows, in this order, the user's value
 * kept from a dismissed conflict or the title the document has (server, offline queue or a save in flight).
 * Deriving it at render time, instead of copying props into state in an effect, means no render ever shows
 * a stale value and no late effect can overwrite what the user kept.
 */
import { useRef, useState } from 'react';

interface Props {
  /** The title as the document has it (server, offline queue, or a save in flight). */
  value: string;
  /** The document version shown: the base of an edit that starts now. */
  version: number;
  /** My title kept from a dismissed conflict, shown instead of `value` until saved or discarded. */
  heldValue?: string | null;
  readOnly: boolean;
  onCommit: (title: string, baseVersion: number) => void;
  /** After Enter: move on (into the document body). */
  onDone?: () => void;
}

export function TitleInput({ value, version, heldValue, readOnly, onCommit, onDone }: Props) {
  /** What the user is typing; null while not typing. */
  const [draft, setDraft] = useState<string | null>(null);
  const skipBlur = useRef(false);
  /** The version the user's typing started from; null while not typing. */
  const typingFrom = useRef<number | null>(null);
  /** The version shown when a held value appeared: saving it later must not overwrite a newer change unseen. */
  const heldFrom = useRef<number | null>(null);
  const held = heldValue ?? null;
  if (held === null) heldFrom.current = null;
  else if (heldFrom.current === null) heldFrom.current = version;

  const shown = draft ?? held ?? value;

  const stopTyping = () => {
    typingFrom.current = null;
    setDraft(null);
  };

  const commit = () => {
    const base = typingFrom.current ?? heldFrom.current ?? version;
    const t = shown.trim().slice(0, 200);
    stopTyping();
    if (t && (t !== value || held !== null)) onCommit(t, base);
  };

  if (readOnly) {
    return (
      <h1 className="doc-title-static" data-testid="doc-title">
        {value || 'Untitled'}
      </h1>
    );
  }
  return (
    <h1 className="doc-title-heading">
      <input
        className="doc-title-input"
        data-testid="title-input"
        aria-label="Document title"
        maxLength={200}
        value={shown}
        onChange={(e) => {
          if (typingFrom.current === null) typingFrom.current = heldFrom.current ?? version;
          setDraft(e.target.value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            skipBlur.current = true;
            commit();
            (e.target as HTMLInputElement).blur();
            onDone?.();
          } else if (e.key === 'Escape') {
            stopTyping();
            skipBlur.current = true;
            (e.target as HTMLInputElement).blur();
          }
        }}
        onBlur={() => {
          if (skipBlur.current) {
            skipBlur.current = false;
            return;
          }
          if (typingFrom.current !== null) commit();
        }}
      />
    </h1>
  );
}
