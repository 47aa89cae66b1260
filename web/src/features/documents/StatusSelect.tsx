/**
 * The status picker in the document header (a badge when read-only). Picking with the mouse saves at once;
 * arrow keys only move the choice, which is saved on Enter or when focus leaves (one save, not three).
 */
import { useEffect, useRef, useState } from 'react';
import { DOC_STATUSES, type DocStatus } from '../../api/types';
import { STATUS_LABELS, StatusBadge } from './StatusBadge';

interface Props {
  status: DocStatus;
  readOnly: boolean;
  onChange: (s: DocStatus) => void;
}

const NAV_KEYS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown']);

export function StatusSelect({ status, readOnly, onChange }: Props) {
  const [draft, setDraft] = useState(status);
  const keyboardMove = useRef(false);
  /** The value last handed to `onChange`, so a blur right after a pick does not save it again. */
  const sent = useRef<DocStatus | null>(null);
  useEffect(() => {
    setDraft(status);
    sent.current = null;
  }, [status]);

  const commit = (s: DocStatus) => {
    if (s === status || s === sent.current) return;
    sent.current = s;
    onChange(s);
  };

  if (readOnly) return <StatusBadge status={status} />;
  return (
    <span className={`status-select badge-${draft}`}>
      <label htmlFor="doc-status" className="visually-hidden">
        Status
      </label>
      <select
        id="doc-status"
        data-testid="status-select"
        value={draft}
        onPointerDown={() => {
          keyboardMove.current = false;
        }}
        onKeyDown={(e) => {
          keyboardMove.current = NAV_KEYS.has(e.key) || /^[a-z]$/i.test(e.key);
          if (e.key === 'Enter') commit(draft);
          else if (e.key === 'Escape') setDraft(status);
        }}
        onChange={(e) => {
          const s = e.target.value as DocStatus;
          setDraft(s);
          if (!keyboardMove.current) commit(s);
          keyboardMove.current = false;
        }}
        onBlur={() => commit(draft)}
      >
        {DOC_STATUSES.map((s) => (
          <option key={s} value={s}>
            {STATUS_LABELS[s]}
          </option>
        ))}
      </select>
    </span>
  );
}
