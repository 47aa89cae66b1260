/** Under the document header: metadata edits waiting to be sent (offline) and my values kept from a dismissed conflict. */
import type { MetadataPatch } from '../../api/types';
import type { QueuedEdit } from '../../collab/metaQueue';
import { STATUS_LABELS } from '../documents/StatusBadge';

interface Props {
  queued: QueuedEdit | null;
  held: MetadataPatch | null;
  onSaveHeld: () => void;
  onDiscardHeld: () => void;
}

/** "title “X”, status Published, tags a, b" */
export function describePatch(patch: MetadataPatch): string {
  const parts: string[] = [];
  if (patch.title !== undefined && patch.title !== null) parts.push(`title “${patch.title}”`);
  if (patch.status) parts.push(`status ${STATUS_LABELS[patch.status]}`);
  if (patch.tags) parts.push(patch.tags.length ? `tags ${patch.tags.join(', ')}` : 'no tags');
  return parts.join(', ');
}

export function MetaPendingNotice({ queued, held, onSaveHeld, onDiscardHeld }: Props) {
  return (
    <>
      {queued && (
        <p className="meta-pending" role="status" data-testid="meta-pending">
          <span className="conn-dot" aria-hidden="true" /> Pending: {describePatch(queued.patch)} — saved when the
          connection is back.
        </p>
      )}
      {held && (
        <div className="meta-held" role="status" data-testid="meta-held">
          <span>Not saved yet: your {describePatch(held)}.</span>
          <button type="button" className="btn btn-sm" onClick={onSaveHeld}>
            Save mine
          </button>
          <button type="button" className="btn btn-sm btn-ghost" onClick={onDiscardHeld}>
            Discard
          </button>
        </div>
      )}
    </>
  );
}
