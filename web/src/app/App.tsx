/**
 * The application shell: auth provider, routes (sign in, register, documents, a document, settings, trash,
 * not found), redirects to and from the sign-in page, and page titles.
 *
 * The signed-in pages are loaded on demand (`React.lazy`), so the sign-in and create-account screens do not
 * download the editor (TipTap, ProseMirror, Yjs, y-websocket) nor the document list; only this shell, the
 * auth screens and the header stay in the entry chunk.
 */
import { lazy, Suspense, useEffect } from 'react';
import { AuthProvider, useAuth } from '../auth/AuthContext';
import { AppHeader } from './AppHeader';
import { matchRoute, navigate, useLocation } from '../lib/router';
import { AuthPage } from '../auth/AuthPage';
import { NotFoundPage } from './NotFoundPage';
import { SessionEndedBanner } from '../auth/SessionEndedBanner';

const DocumentListPage = lazy(() =>
  import('../features/documents/DocumentListPage').then((m) => ({ default: m.DocumentListPage })),
);
const EditorPage = lazy(() => import('../features/editor/EditorPage').then((m) => ({ default: m.EditorPage })));
const SettingsPage = lazy(() => import('../features/settings/SettingsPage').then((m) => ({ default: m.SettingsPage })));
const TrashPage = lazy(() => import('../features/trash/TrashPage').then((m) => ({ default: m.TrashPage })));

/** Shown while the auth check runs or a page's code is still downloading. */
function PageLoading() {
  return (
    <div className="page-loading" role="status">
      Loading…
    </div>
  );
}

function Routes() {
  const { user, loading, sessionEnded } = useAuth();
  const { path, search } = useLocation();
  const route = matchRoute(path);
  const isAuthRoute = route.name === 'login' || route.name === 'register';

  useEffect(() => {
    if (loading) return;
    if (!user && !isAuthRoute) {
      const next = path + (search.toString() ? `?${search}` : '');
      navigate(`/login${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`, { replace: true });
    } else if (user && isAuthRoute) {
      const next = search.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    }
  }, [user, loading, isAuthRoute, path, search]);

  useEffect(() => {
    const titles: Record<string, string> = {
      login: 'Sign in · Quire',
      register: 'Create account · Quire',
      list: 'Documents · Quire',
      settings: 'Settings · Quire',
      trash: 'Trash · Quire',
      notFound: 'Not found · Quire',
    };
    if (route.name !== 'doc') document.title = titles[route.name] ?? 'Quire';
  }, [route.name]);

  if (loading) return <PageLoading />;
  if (!user || isAuthRoute) {
    if (!isAuthRoute) return null;
    return <AuthPage mode={route.name === 'register' ? 'register' : 'login'} />;
  }
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppHeader user={user} />
      {sessionEnded && <SessionEndedBanner />}
      <Suspense fallback={<PageLoading />}>
        {route.name === 'list' && <DocumentListPage />}
        {route.name === 'doc' && <EditorPage key={route.id} docId={route.id} user={user} />}
        {route.name === 'settings' && <SettingsPage />}
        {route.name === 'trash' && <TrashPage />}
        {route.name === 'notFound' && <NotFoundPage />}
      </Suspense>
    </>
  );
}

export function App() {
  return (
    <AuthProvider>
      <Routes />
    </AuthProvider>
  );
}
