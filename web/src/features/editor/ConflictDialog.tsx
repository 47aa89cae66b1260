/**
 * The dialog for a title/status/tags save that someone else overtook: compare and choose.
 */
import type { MetadataPatch, QuireDocument } from '../../api/types';
import { Modal } from '../../ui/Modal';
import { STATUS_LABELS } from '../documents/StatusBadge';

interface Props {
  mine: MetadataPatch;
  current: QuireDocument;
  busy?: boolean;
  onKeepMine: () => void;
  onUseTheirs: () => void;
}

function fmt(field: keyof MetadataPatch, doc: MetadataPatch | QuireDocument): string {
  if (field === 'title') return doc.title ?? '';
  if (field === 'status') return doc.status ? STATUS_LABELS[doc.status] : '';
  return (doc.tags ?? []).length ? (doc.tags ?? []).join(', ') : '(no tags)';
}

const LABELS: Record<keyof MetadataPatch, string> = { title: 'Title', status: 'Status', tags: 'Tags' };

/** Shown when a metadata save hits 409: compare my values with the server's and choose. */
export function ConflictDialog({ mine, current, busy, onKeepMine, onUseTheirs }: Props) {
  const fields = (Object.keys(mine) as (keyof MetadataPatch)[]).filter((f) => mine[f] !== undefined);
  const who = current.last_edited_by_username;
  return (
    <Modal
      title="Someone else changed this document"
      onClose={onUseTheirs}
      role="alertdialog"
      testId="conflict-dialog"
      description={
        <p>
          While you were editing, {who ? <strong>{who}</strong> : 'another person'} saved different details (now
          version {current.version}). Choose which values to keep.
        </p>
      }
    >
      <table className="conflict-table">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Your change</th>
            <th scope="col">Their current value</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((f) => (
            <tr key={f}>
              <th scope="row">{LABELS[f]}</th>
              <td data-testid={`conflict-mine-${f}`}>{fmt(f, mine)}</td>
              <td data-testid={`conflict-theirs-${f}`}>{fmt(f, current)}</td>
            </tr>
          ))}
        </tbody>
      </table>
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
