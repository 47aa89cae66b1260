/**
 * The document title field.
 */
import { useEffect, useRef, useState } from 'react';

interface Props {
  value: string;
  readOnly: boolean;
  onCommit: (title: string) => void;
}

/** Large inline title field: saves on Enter or when focus leaves; Escape reverts. */
export function TitleInput({ value, readOnly, onCommit }: Props) {
  const [draft, setDraft] = useState(value);
  const skipBlur = useRef(false);
  useEffect(() => setDraft(value), [value]);

  const commit = () => {
    const t = draft.trim().slice(0, 200);
    if (!t) {
      setDraft(value);
      return;
    }
    if (t !== value) onCommit(t);
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
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            skipBlur.current = true;
            commit();
            (e.target as HTMLInputElement).blur();
          } else if (e.key === 'Escape') {
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
          commit();
        }}
      />
    </h1>
  );
}
