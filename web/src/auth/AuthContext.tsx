/**
 * Who is signed in: checks the session on load, signs in / registers / signs out, and marks the session
 * as ended (keeping the page and its unsent edits) when any call answers 401 or a live socket closes with 4401.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, onUnauthorized } from '../api/client';
import { api } from '../api/endpoints';
import { useRequest } from '../lib/useRequest';
import type { User } from '../api/types';

interface AuthState {
  user: User | null;
  loading: boolean;
  login: (username: string, password: string) => Promise<void>;
  register: (username: string, email: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
  /** The session ended elsewhere (401 / close 4401): the page stays, read-only, until the user signs in again. */
  expire: () => void;
  /** True once the session ended while signed in. */
  sessionEnded: boolean;
  /** Leave the ended session for the sign-in page (back here afterwards). */
  signInAgain: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  // the session cookie is checked once; after that, sign-in / sign-out / expiry decide
  const session = useRequest((signal) => api.me(signal), []);
  const [decided, setUser] = useState<User | null | undefined>(undefined);
  const user = decided === undefined ? (session.data ?? null) : decided;
  const loading = decided === undefined && session.loading;

  useEffect(() => {
    const e = session.error;
    if (e && !(e instanceof ApiError && e.status === 401)) console.warn('auth check failed', e);
  }, [session.error]);

  const [sessionEnded, setSessionEnded] = useState(false);
  const expire = useCallback(() => setSessionEnded(true), []);
  const signInAgain = useCallback(() => {
    setSessionEnded(false);
    setUser(null);
  }, []);

  useEffect(() => {
    onUnauthorized(expire);
    return () => onUnauthorized(undefined);
  }, [expire]);

  const login = useCallback(async (username: string, password: string) => {
    const res = await api.login(username, password);
    setSessionEnded(false);
    setUser(res.user);
  }, []);

  const register = useCallback(async (username: string, email: string, password: string) => {
    await api.register(username, email, password);
    const res = await api.login(username, password);
    setUser(res.user);
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.logout();
    } finally {
      setSessionEnded(false);
      setUser(null);
    }
  }, []);

  const value = useMemo(
    () => ({ user, loading, login, register, logout, expire, sessionEnded, signInAgain }),
    [user, loading, login, register, logout, expire, sessionEnded, signInAgain],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
