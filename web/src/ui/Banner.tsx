/**
 * A full-width notice with an optional action button.
 */
import type { ReactNode } from 'react';

interface Props {
  kind: 'info' | 'warning' | 'error';
  children: ReactNode;
  testId?: string;
  action?: ReactNode;
}

export function Banner({ kind, children, testId, action }: Props) {
  return (
    <div className={`banner banner-${kind}`} role={kind === 'error' ? 'alert' : 'status'} data-testid={testId}>
      <div className="banner-text">{children}</div>
      {action}
    </div>
  );
}
