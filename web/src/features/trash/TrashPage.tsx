/**
 * The Trash screen (`/trash`): the caller's deleted documents (newest first) with when each was deleted
 * and how long until it is deleted forever; "Restore" brings one back (with a link to open it), "Delete
 * forever" purges it after a clearly worded confirmation.
 */
import { useRef, useState } from 'react';
import { errorMessage } from '../../api/errorMessage';
import type { QuireDocument } from '../../api/types';
import { absoluteTime, relativeTime, untilTime } from '../../lib/relativeTime';
import { useNow } from '../../lib/useNow';
import { useRequest } from '../../lib/useRequest';
import { Alert } from '../../ui/Alert';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { Icon } from '../../ui/Icon';
import { Link } from '../../ui/Link';
import { TagList } from '../documents/TagList';
import { daysUntil, TRASH_DAYS, trashApi, type TrashedDocument } from './trash';

/** "Deleted forever in 12 days" / "in 1 day" / "in 5 h" (under a day) / "soon" (due). */
export function purgeText(purgeAt: string, now: Date): string {
  const days = daysUntil(purgeAt, now);
  if (days === null) return '';
  if (days === 0) return 'Deleted forever soon';
  const ms = new Date(purgeAt).getTime() - now.getTime();
  if (ms < 24 * 60 * 60 * 1000) return `Deleted forever ${untilTime(purgeAt, now)}`;
  return `Deleted forever in ${days} ${days === 1 ? 'day' : 'days'}`;
}

function TrashRow({
  doc,
  now,
  busy,
  onRestore,
  onPurge,
}: {
  doc: TrashedDocument;
  now: Date;
  busy: boolean;
  onRestore: () => void;
  onPurge: () => void;
}) {
  const title = doc.title || 'Untitled';
  return (
    <li className="doc-row trash-row" data-testid="trash-row" data-doc-id={doc.id}>
      <div className="trash-row-body">
        <div className="doc-row-main">
          <span className="doc-title">{title}</span>
        </div>
        <div className="doc-row-meta">
          <span title={absoluteTime(doc.deleted_at)}>Deleted {relativeTime(doc.deleted_at, now)}</span>
          <span title={absoluteTime(doc.purge_at)} data-testid="purge-countdown">
            {purgeText(doc.purge_at, now)}
          </span>
        </div>
        <TagList tags={doc.tags} />
      </div>
      <div className="trash-row-actions">
        <button
          type="button"
          className="btn btn-sm"
          disabled={busy}
          aria-label={`Restore “${title}”`}
          onClick={onRestore}
        >
          Restore
        </button>
        <button
          type="button"
          className="btn btn-sm btn-danger-ghost"
          disabled={busy}
          aria-label={`Delete forever “${title}”`}
          onClick={onPurge}
        >
          Delete forever
        </button>
      </div>
    </li>
  );
}

export function TrashPage() {
  const now = useNow();
  const list = useRequest((signal) => trashApi.list(signal), []);
  const { setData } = list;
  const items = list.data?.items ?? [];
  const [busyId, setBusyId] = useState<string | null>(null);
  const [restored, setRestored] = useState<QuireDocument | null>(null);
  const [purged, setPurged] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<TrashedDocument | null>(null);

  const latest = useRef(list.data);
  latest.current = list.data;
  const drop = (id: string) => {
    const next = { items: (latest.current?.items ?? []).filter((d) => d.id !== id) };
    latest.current = next;
    setData(next);
  };

  const restore = async (doc: TrashedDocument) => {
    setBusyId(doc.id);
    setError(null);
    setPurged(null);
    setRestored(null);
    try {
      const d = await trashApi.restore(doc.id);
      drop(doc.id);
      setRestored(d);
    } catch (e) {
      setError(errorMessage(e, { fallback: 'Could not restore the document.' }));
      // already gone (restored elsewhere or purged): refresh the list
      void list.reload();
    } finally {
      setBusyId(null);
    }
  };

  const purge = async (doc: TrashedDocument) => {
    setBusyId(doc.id);
    setError(null);
    setRestored(null);
    setPurged(null);
    try {
      await trashApi.purge(doc.id);
      drop(doc.id);
      setPurged(doc.title || 'Untitled');
    } catch (e) {
      setError(errorMessage(e, { fallback: 'Could not delete the document.' }));
      void list.reload();
    } finally {
      setBusyId(null);
      setConfirming(null);
    }
  };

  const loadError = list.error ? errorMessage(list.error, { fallback: 'Could not load the trash.' }) : null;

  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Trash</h1>
        <Link href="/" className="btn btn-sm">
          <Icon name="back" /> Documents
        </Link>
      </div>
      <p className="muted">Deleted documents stay here for {TRASH_DAYS} days, then they are deleted forever.</p>
      {restored && (
        <Alert kind="success" testId="restored-notice">
          Restored “{restored.title || 'Untitled'}”.{' '}
          <Link href={`/d/${encodeURIComponent(restored.id)}`}>Open the document</Link>
        </Alert>
      )}
      {purged && (
        <Alert kind="success" testId="purged-notice">
          Deleted “{purged}” forever.
        </Alert>
      )}
      {error && <Alert>{error}</Alert>}
      {loadError && <Alert>{loadError}</Alert>}
      {list.loading && !list.data ? (
        <p className="muted" role="status">
          Loading…
        </p>
      ) : !loadError && items.length === 0 ? (
        <p className="empty-state" data-testid="trash-empty">
          The trash is empty. Deleted documents stay here for {TRASH_DAYS} days.
        </p>
      ) : (
        <ul className="doc-list" aria-label="Deleted documents">
          {items.map((d) => (
            <TrashRow
              key={d.id}
              doc={d}
              now={now}
              busy={busyId === d.id}
              onRestore={() => void restore(d)}
              onPurge={() => setConfirming(d)}
            />
          ))}
        </ul>
      )}
      {confirming && (
        <ConfirmDialog
          title={`Delete “${confirming.title || 'Untitled'}” forever?`}
          confirmLabel="Delete forever"
          danger
          busy={busyId === confirming.id}
          testId="purge-confirm"
          onCancel={() => setConfirming(null)}
          onConfirm={() => void purge(confirming)}
        >
          <p>Its versions, comments and media are deleted too. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </main>
  );
}
