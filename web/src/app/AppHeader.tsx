/**
 * The top bar on signed-in screens: brand link home, the notifications bell, "Settings", the current user,
 * "Sign out".
 */
import type { User } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { useLocation } from '../lib/router';
import { Avatar } from '../ui/Avatar';
import { Icon } from '../ui/Icon';
import { Link } from '../ui/Link';
import { Logo } from '../ui/Logo';
import { NotificationBell } from '../features/notifications/NotificationBell';

export function AppHeader({ user }: { user: User }) {
  const { logout } = useAuth();
  const { path } = useLocation();
  return (
    <header className="app-header">
      <Link href="/" className="brand" aria-label="Quire — all documents">
        <Logo />
        <span className="brand-name">Quire</span>
      </Link>
      <nav className="header-nav" aria-label="Account">
        <NotificationBell />
        {/* On a phone only the icon shows (the label stays the accessible name). */}
        <Link
          href="/settings"
          className="btn btn-ghost"
          aria-label="Settings"
          aria-current={path === '/settings' ? 'page' : undefined}
        >
          <Icon name="settings" />
          <span className="btn-text">Settings</span>
        </Link>
        <span className="header-user" data-testid="current-user">
          <Avatar name={user.username} size="sm" />
          <span className="header-username">{user.username}</span>
        </span>
        <button type="button" className="btn btn-ghost" onClick={() => void logout()}>
          Sign out
        </button>
      </nav>
    </header>
  );
}
