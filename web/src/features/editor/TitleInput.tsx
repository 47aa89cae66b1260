/**
 * The document title field: saves on Enter (then moves into the body) or blur, Escape reverts; a live change
 * from someone else never replaces what the user is typing (their save then meets the 409 flow).
 */
import { useEffect, useRef, useState } from 'react';

interface Props {
  /** The title as the server (or the offline queue) has it. */
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
  const [draft, setDraft] = useState(heldValue ?? value);
  const skipBlur = useRef(false);
  /** The version the user's typing started from; null while not typing. */
  const typingFrom = useRef<number | null>(null);
  const versionRef = useRef(version);
  versionRef.current = version;

  useEffect(() => {
    if (heldValue !== undefined && heldValue !== null) {
      setDraft(heldValue);
      typingFrom.current = versionRef.current;
      return;
    }
    // someone else's change lands unless the user is typing over it
    if (typingFrom.current === null) setDraft(value);
  }, [value, heldValue]);

  const finish = () => {
    typingFrom.current = null;
  };

  const commit = () => {
    const base = typingFrom.current ?? version;
    finish();
    const t = draft.trim().slice(0, 200);
    if (!t) {
      setDraft(value);
      return;
    }
    if (t !== value || heldValue) onCommit(t, base);
    else setDraft(value);
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
        value={draft}
        onChange={(e) => {
          if (typingFrom.current === null) typingFrom.current = version;
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
            finish();
            setDraft(value);
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
