/**
 * An inline message box: errors are announced as alerts, other kinds as status.
 */
import type { ReactNode } from 'react';

interface Props {
  kind?: 'error' | 'info' | 'success' | 'warning';
  children: ReactNode;
  testId?: string;
}

export function Alert({ kind = 'error', children, testId }: Props) {
  return (
    <div
      className={`alert alert-${kind}`}
      role={kind === 'error' ? 'alert' : 'status'}
      data-testid={testId}
    >
      {children}
    </div>
  );
}
