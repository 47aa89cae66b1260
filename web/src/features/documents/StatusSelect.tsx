/**
 * The status picker in the document header (a badge when read-only).
 */
import { DOC_STATUSES, type DocStatus } from '../../api/types';
import { STATUS_LABELS, StatusBadge } from './StatusBadge';

interface Props {
  status: DocStatus;
  readOnly: boolean;
  onChange: (s: DocStatus) => void;
}

export function StatusSelect({ status, readOnly, onChange }: Props) {
  if (readOnly) return <StatusBadge status={status} />;
  return (
    <span className={`status-select badge-${status}`}>
      <label htmlFor="doc-status" className="visually-hidden">
        Status
      </label>
      <select id="doc-status" data-testid="status-select" value={status} onChange={(e) => onChange(e.target.value as DocStatus)}>
        {DOC_STATUSES.map((s) => (
          <option key={s} value={s}>
            {STATUS_LABELS[s]}
          </option>
        ))}
      </select>
    </span>
  );
}
