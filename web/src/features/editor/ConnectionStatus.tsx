/**
 * The save / connection indicator ("Saving…", "All changes saved", "Offline", …).
 */
import type { SaveStatus } from '../../collab/saveState';

const TEXT: Record<SaveStatus, string> = {
  connecting: 'Connecting…',
  syncing: 'Syncing…',
  saving: 'Saving…',
  saved: 'All changes saved',
  synced: 'Up to date',
  offline: 'Offline',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
};

const TONE: Record<SaveStatus, 'ok' | 'busy' | 'warn' | 'bad'> = {
  connecting: 'busy',
  syncing: 'busy',
  saving: 'busy',
  saved: 'ok',
  synced: 'ok',
  offline: 'warn',
  reconnecting: 'warn',
  closed: 'bad',
};

export function connectionText(status: SaveStatus, readOnly: boolean): string {
  if (readOnly && (status === 'saved' || status === 'synced' || status === 'saving')) return 'Live';
  return TEXT[status];
}

export function ConnectionStatus({ status, readOnly }: { status: SaveStatus; readOnly: boolean }) {
  return (
    <span
      className={`conn conn-${TONE[status]}`}
      role="status"
      aria-live="polite"
      data-testid="connection-status"
      data-status={status}
    >
      <span className="conn-dot" aria-hidden="true" />
      {connectionText(status, readOnly)}
    </span>
  );
}
