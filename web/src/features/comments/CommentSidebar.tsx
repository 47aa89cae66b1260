/**
 * The comments sidebar: Open / Resolved tabs over the document's threads (in the server's order),
 * a document-level "Add a comment" box for those who may comment, and one `ThreadItem` per thread.
 * The threads themselves live in `useThreads` (kept live by `comment` events). On a phone it is an
 * overlay over the editor, like the version sidebar.
 */
import { useEffect, useState } from 'react';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import type { Thread } from '../../api/types';
import { useNow } from '../../lib/useNow';
import { Alert } from '../../ui/Alert';
import { Icon } from '../../ui/Icon';
import { MentionTextarea } from './MentionTextarea';
import { ThreadItem } from './ThreadItem';
import { threadsFor } from './threadList';

interface Props {
  docId: string;
  threads: readonly Thread[];
  loaded: boolean;
  loadError: string | null;
  userId: string;
  isOwner: boolean;
  canWrite: boolean;
  usernames: readonly string[];
  activeId: string | null;
  onChanged: (thread: Thread) => void;
  onDeleted: (id: string) => void;
  onSelectQuote: (thread: Thread) => void;
  onClose: () => void;
}

export function CommentSidebar(props: Props) {
  const { docId, threads, loaded, loadError, canWrite, usernames, activeId, onChanged, onClose } = props;
  const [tab, setTab] = useState<'open' | 'resolved'>('open');
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const now = useNow();
  const shown = threadsFor(threads, tab);
  const openCount = threadsFor(threads, 'open').length;
  const resolvedCount = threads.length - openCount;

  // an activated thread (a click on its highlight) shows on its tab and scrolls into view
  useEffect(() => {
    if (!activeId) return;
    const t = threads.find((x) => x.id === activeId);
    if (t) setTab(t.resolved ? 'resolved' : 'open');
    requestAnimationFrame(() => {
      const el = document.getElementById(`thread-${activeId}`);
      el?.scrollIntoView({ block: 'nearest' });
      el?.focus({ preventScroll: true });
    });
  }, [activeId]); // eslint-disable-line react-hooks/exhaustive-deps

  const add = async () => {
    const text = body.trim();
    if (!text) return;
    setBusy(true);
    setError(null);
    try {
      onChanged(await api.createThread(docId, text, null, null));
      setBody('');
      setTab('open');
    } catch (e) {
      setError(errorMessage(e, { fallback: 'Could not add the comment.' }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <aside className="sidebar comments-sidebar" aria-labelledby="comments-heading" data-testid="comment-sidebar">
      <div className="sidebar-head">
        <h2 id="comments-heading">Comments</h2>
        <button type="button" className="btn btn-icon btn-ghost" aria-label="Close comments" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
      {canWrite && (
        <form
          className="comment-new"
          onSubmit={(e) => {
            e.preventDefault();
            void add();
          }}
        >
          <MentionTextarea
            value={body}
            onChange={setBody}
            usernames={usernames}
            label="Add a comment"
            placeholder="Add a comment on the whole document…"
            disabled={busy}
            testId="new-comment-input"
            onSubmit={() => void add()}
          />
          <button type="submit" className="btn btn-primary btn-small" disabled={busy || !body.trim()}>
            Comment
          </button>
        </form>
      )}
      {(error ?? loadError) && <Alert>{error ?? loadError}</Alert>}
      <div className="tabs" role="tablist" aria-label="Comment threads">
        {(['open', 'resolved'] as const).map((t) => (
          <button
            key={t}
            type="button"
            role="tab"
            id={`comments-tab-${t}`}
            aria-selected={tab === t}
            aria-controls="comments-panel"
            className={`tab${tab === t ? ' is-active' : ''}`}
            data-testid={`comments-tab-${t}`}
            onClick={() => setTab(t)}
          >
            {t === 'open' ? `Open (${openCount})` : `Resolved (${resolvedCount})`}
          </button>
        ))}
      </div>
      <div id="comments-panel" role="tabpanel" aria-labelledby={`comments-tab-${tab}`}>
        {!loaded && !loadError ? (
          <p className="muted">Loading…</p>
        ) : shown.length === 0 ? (
          <p className="empty-state">{tab === 'open' ? 'No open comments.' : 'No resolved comments.'}</p>
        ) : (
          <ol className="thread-list" data-testid="thread-list">
            {shown.map((t) => (
              <ThreadItem
                key={t.id}
                docId={docId}
                thread={t}
                userId={props.userId}
                isOwner={props.isOwner}
                canWrite={canWrite}
                active={t.id === activeId}
                now={now}
                usernames={usernames}
                onChanged={onChanged}
                onDeleted={props.onDeleted}
                onSelectQuote={props.onSelectQuote}
              />
            ))}
          </ol>
        )}
      </div>
    </aside>
  );
}
