/**
 * The bar above a document: back to the list, save/connection status, who is here, and the
 * Share, Comments, Versions and (for the owner) Move to trash buttons.
 */
import type { SaveStatus } from '../../collab/saveState';
import type { AwarenessUser } from '../../collab/presence';
import { Icon } from '../../ui/Icon';
import { Link } from '../../ui/Link';
import { ConnectionStatus } from './ConnectionStatus';
import { PresenceBar } from './PresenceBar';

interface Props {
  status: SaveStatus;
  readOnly: boolean;
  /** A title/status/tags save is under way. */
  savingDetails: boolean;
  users: AwarenessUser[];
  isOwner: boolean;
  versionsOpen: boolean;
  commentsOpen: boolean;
  /** Open comment threads (shown on the Comments button). */
  openComments: number;
  onToggleComments: () => void;
  onShare: () => void;
  onToggleVersions: () => void;
  onDelete: () => void;
}

export function DocBar({
  status,
  readOnly,
  savingDetails,
  users,
  isOwner,
  versionsOpen,
  commentsOpen,
  openComments,
  onToggleComments,
  onShare,
  onToggleVersions,
  onDelete,
}: Props) {
  return (
    <div className="doc-bar">
      <Link href="/" className="btn btn-ghost btn-icon back-link" aria-label="Back to documents">
        <Icon name="back" />
      </Link>
      <div className="doc-bar-status">
        <ConnectionStatus status={status} readOnly={readOnly} />
        {savingDetails && (
          <span className="muted" role="status">
            Saving details…
          </span>
        )}
      </div>
      <div className="doc-bar-actions">
        <PresenceBar users={users} />
        <button type="button" className="btn" onClick={onShare} data-testid="share-button" aria-label="Share">
          <Icon name="share" />
          <span className="btn-text">Share</span>
        </button>
        <button
          type="button"
          className={`btn${commentsOpen ? ' is-active' : ''}`}
          aria-expanded={commentsOpen}
          aria-controls="comment-sidebar"
          onClick={onToggleComments}
          data-testid="comments-button"
          aria-label={openComments ? `Comments, ${openComments} open` : 'Comments'}
        >
          <Icon name="comment" />
          <span className="btn-text">Comments</span>
          {openComments > 0 && (
            <span className="count-badge" aria-hidden="true">
              {openComments}
            </span>
          )}
        </button>
        <button
          type="button"
          className={`btn${versionsOpen ? ' is-active' : ''}`}
          aria-expanded={versionsOpen}
          aria-controls="version-sidebar"
          onClick={onToggleVersions}
          data-testid="versions-button"
          aria-label="Versions"
        >
          <Icon name="history" />
          <span className="btn-text">Versions</span>
        </button>
        {isOwner && (
          <button
            type="button"
            className="btn btn-icon btn-danger-ghost"
            aria-label="Move document to trash"
            title="Move to trash"
            onClick={onDelete}
          >
            <Icon name="trash" />
          </button>
        )}
      </div>
    </div>
  );
}
