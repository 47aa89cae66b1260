/**
 * The notifications bell in the app header: the unread count (accessible name
 * "Notifications, N unread"), a dropdown listing the notifications, each linking to its document
 * (and marking itself read), and "Mark all read". Escape or a click outside closes it.
 */
import { useEffect, useRef, useState } from 'react';
import { useNow } from '../../lib/useNow';
import { relativeTime } from '../../lib/relativeTime';
import { Icon } from '../../ui/Icon';
import { Link } from '../../ui/Link';
import { bellLabel, notificationText } from './notificationText';
import { useNotifications } from './useNotifications';

export function NotificationBell() {
  const { items, unread, markRead, refresh } = useNotifications();
  const [open, setOpen] = useState(false);
  const wrapRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const now = useNow();

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (!wrapRef.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        buttonRef.current?.focus();
      }
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  return (
    <div className="bell" ref={wrapRef}>
      <button
        ref={buttonRef}
        type="button"
        className="btn btn-ghost btn-icon bell-button"
        aria-label={bellLabel(unread)}
        aria-expanded={open}
        aria-controls="notification-list"
        data-testid="notifications-button"
        data-unread={unread}
        onClick={() => {
          if (!open) refresh();
          setOpen((o) => !o);
        }}
      >
        <Icon name="bell" />
        {unread > 0 && (
          <span className="count-badge bell-count" aria-hidden="true">
            {unread}
          </span>
        )}
      </button>
      {open && (
        <div className="bell-menu" id="notification-list" data-testid="notification-list">
          <div className="bell-head">
            <h2>Notifications</h2>
            <button type="button" className="btn btn-small" disabled={unread === 0} onClick={() => void markRead('all')}>
              Mark all read
            </button>
          </div>
          {items.length === 0 ? (
            <p className="empty-state">No notifications.</p>
          ) : (
            <ul className="bell-items">
              {items.map((n) => (
                <li key={n.id} className={n.read ? 'is-read' : 'is-unread'} data-testid="notification">
                  <Link
                    href={`/d/${encodeURIComponent(n.document_id)}`}
                    onClick={() => {
                      setOpen(false);
                      if (!n.read) void markRead([n.id]);
                    }}
                  >
                    <span>{notificationText(n)}</span>
                    {!n.read && <span className="visually-hidden"> (unread)</span>}
                    <span className="muted bell-time">{relativeTime(n.created_at, now)}</span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
