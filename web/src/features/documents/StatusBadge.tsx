/**
 * Document status labels and the coloured status badge.
 */
import type { DocStatus } from '../../api/types';

export const STATUS_LABELS: Record<DocStatus, string> = {
  draft: 'Draft',
  review: 'In review',
  published: 'Published',
  archived: 'Archived',
};

export function StatusBadge({ status }: { status: DocStatus }) {
  return (
    <span className={`badge badge-${status}`} data-testid="status-badge" data-status={status}>
      {STATUS_LABELS[status] ?? status}
    </span>
  );
}
