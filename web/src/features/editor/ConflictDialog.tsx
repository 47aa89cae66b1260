/**
 * The dialog for a title/status/tags save that someone else overtook: names who changed it, compares, and
 * lets the user keep theirs (tags merged as a union), use the server's, or close it keeping their typed value.
 */
import type { MetadataPatch, QuireDocument } from '../../api/types';
import { keepMinePatch } from '../../collab/useDocumentMeta';
import { Modal } from '../../ui/Modal';
import { STATUS_LABELS } from '../documents/StatusBadge';

interface Props {
  mine: MetadataPatch;
  current: QuireDocument;
  /** The tags my edit started from (for the merge). */
  baseTags?: string[];
  busy?: boolean;
  onKeepMine: () => void;
  onUseTheirs: () => void;
  /** Escape / ×: close without choosing; the user's value is kept as an unsaved change. */
  onDismiss: () => void;
}

function fmt(field: keyof MetadataPatch, doc: MetadataPatch | QuireDocument): string {
  if (field === 'title') return doc.title ?? '';
  if (field === 'status') return doc.status ? STATUS_LABELS[doc.status] : '';
  return (doc.tags ?? []).length ? (doc.tags ?? []).join(', ') : '(no tags)';
}

const LABELS: Record<keyof MetadataPatch, string> = { title: 'Title', status: 'Status', tags: 'Tags' };

/** Who made the conflicting metadata change: the metadata's last changer, not the body's last editor. */
export function conflictAuthor(current: QuireDocument): string | null {
  return current.updated_by_username ?? null;
}

export function ConflictDialog({ mine, current, baseTags, busy, onKeepMine, onUseTheirs, onDismiss }: Props) {
  const fields = (Object.keys(mine) as (keyof MetadataPatch)[]).filter((f) => mine[f] !== undefined);
  const who = conflictAuthor(current);
  const merged = keepMinePatch({ mine, current, baseTags });
  return (
    <Modal
      title="Someone else changed this document"
      onClose={onDismiss}
      role="alertdialog"
      testId="conflict-dialog"
      description={
        <p>
          While you were editing, {who ? <strong data-testid="conflict-author">{who}</strong> : 'another person'}{' '}
          saved different details (now version {current.version}). Choose which values to keep — closing this dialog
          keeps your value unsaved.
        </p>
      }
    >
      <div className="conflict-table-wrap">
        <table className="conflict-table">
          <colgroup>
            <col className="conflict-col-field" />
            <col />
            <col />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Your change</th>
              <th scope="col">{who ? `${who}’s value` : 'Their current value'}</th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) => (
              <tr key={f}>
                <th scope="row">{LABELS[f]}</th>
                <td data-testid={`conflict-mine-${f}`}>
                  {fmt(f, mine)}
                  {f === 'tags' && merged.tags && fmt('tags', merged) !== fmt('tags', mine) && (
                    <div className="muted conflict-merge" data-testid="conflict-merged-tags">
                      Keep mine saves: {fmt('tags', merged)}
                    </div>
                  )}
                </td>
                <td data-testid={`conflict-theirs-${f}`}>{fmt(f, current)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="dialog-actions">
        <button type="button" className="btn" onClick={onUseTheirs} disabled={busy}>
          Use theirs
        </button>
        <button type="button" className="btn btn-primary" onClick={onKeepMine} disabled={busy} data-autofocus>
          {busy ? 'Saving…' : 'Keep mine'}
        </button>
      </div>
    </Modal>
  );
}
