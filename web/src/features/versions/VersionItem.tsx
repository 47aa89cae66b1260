/**
 * One entry of the version history: number, name, author, time and its actions.
 */
import type { Version } from '../../api/types';
import { absoluteTime, relativeTime } from '../../lib/relativeTime';

interface Props {
  version: Version;
  canRestore: boolean;
  onPreview: () => void;
  onDiff: () => void;
  onRestore: () => void;
}

export function VersionItem({ version: v, canRestore, onPreview, onDiff, onRestore }: Props) {
  const name = v.label || `Version ${v.number}`;
  return (
    <li className="version" data-testid="version-item" data-version={v.number} data-label={v.label}>
      <div className="version-head">
        <span className="version-number" aria-hidden="true">
          v{v.number}
        </span>
        <span className="version-label">{name}</span>
        {v.auto && <span className="role-chip">auto</span>}
      </div>
      <div className="version-meta muted">
        {v.created_by_username ?? 'someone'} ·{' '}
        <time dateTime={v.created_at} title={absoluteTime(v.created_at)}>
          {relativeTime(v.created_at)}
        </time>
      </div>
      <div className="version-actions">
        <button type="button" className="btn btn-sm" onClick={onPreview} aria-label={`Preview ${name}`}>
          Preview
        </button>
        <button type="button" className="btn btn-sm" onClick={onDiff} aria-label={`Compare ${name} with current`}>
          Compare
        </button>
        {canRestore && (
          <button type="button" className="btn btn-sm" onClick={onRestore} aria-label={`Restore ${name}`}>
            Restore
          </button>
        )}
      </div>
    </li>
  );
}
