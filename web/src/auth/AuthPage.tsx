/**
 * The sign-in and create-account screens (switching between them starts with empty fields and no error).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/errorMessage';
import { useAuth } from './AuthContext';
import { Alert } from '../ui/Alert';
import { FormField } from '../ui/FormField';
import { Link } from '../ui/Link';
import { Logo } from '../ui/Logo';

const errorText = (e: unknown, mode: 'login' | 'register'): string =>
  errorMessage(e, {
    byStatus:
      mode === 'login' ? { 401: 'Wrong username or password.' } : { 409: 'That username or email is already taken.' },
  });

export function AuthPage({ mode }: { mode: 'login' | 'register' }) {
  const { login, register } = useAuth();
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const isLogin = mode === 'login';

  // a sign-in error (or half-typed password) does not follow the user to "Create account", nor back
  useEffect(() => {
    setUsername('');
    setEmail('');
    setPassword('');
    setError(null);
  }, [mode]);
  const tooShort = !isLogin && password.length > 0 && password.length < 8;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (tooShort) return;
    setBusy(true);
    setError(null);
    try {
      if (isLogin) await login(username.trim(), password);
      else await register(username.trim(), email.trim(), password);
    } catch (err) {
      setError(errorText(err, mode));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="auth-page">
      <div className="auth-card">
        <div className="auth-brand">
          <Logo />
          <span className="brand-name">Quire</span>
        </div>
        <h1>{isLogin ? 'Sign in' : 'Create your account'}</h1>
        <p className="muted">
          {isLogin ? 'Write together, in real time.' : 'Start writing with your team in seconds.'}
        </p>
        <form onSubmit={submit} noValidate={false} aria-label={isLogin ? 'Sign in' : 'Create account'}>
          <FormField
            label={isLogin ? 'Username or email' : 'Username'}
            name="username"
            autoComplete="username"
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
          {!isLogin && (
            <FormField
              label="Email"
              name="email"
              type="email"
              autoComplete="email"
              required
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          )}
          <FormField
            label="Password"
            name="password"
            type="password"
            autoComplete={isLogin ? 'current-password' : 'new-password'}
            required
            minLength={isLogin ? undefined : 8}
            hint={isLogin ? undefined : 'At least 8 characters.'}
            error={tooShort ? 'Password must be at least 8 characters.' : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {error && <Alert testId="auth-error">{error}</Alert>}
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Please wait…' : isLogin ? 'Sign in' : 'Create account'}
          </button>
        </form>
        <p className="auth-switch">
          {isLogin ? (
            <>
              New to Quire? <Link href="/register">Create an account</Link>
            </>
          ) : (
            <>
              Already have an account? <Link href="/login">Sign in</Link>
            </>
          )}
        </p>
      </div>
    </main>
  );
}
