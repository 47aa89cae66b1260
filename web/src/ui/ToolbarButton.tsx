/**
 * A toolbar button with label, shortcut hint and pressed state that keeps the editor selection.
 */
import type { ReactNode } from 'react';

interface Props {
  label: string;
  shortcut?: string;
  active?: boolean;
  disabled?: boolean;
  onClick: () => void;
  children: ReactNode;
}

export function ToolbarButton({ label, shortcut, active, disabled, onClick, children }: Props) {
  return (
    <button
      type="button"
      className={`tb-btn${active ? ' is-active' : ''}`}
      aria-label={label}
      aria-pressed={active === undefined ? undefined : active}
      title={shortcut ? `${label} (${shortcut})` : label}
      disabled={disabled}
      // keep the editor selection when clicking
      onMouseDown={(e) => e.preventDefault()}
      onClick={onClick}
    >
      {children}
    </button>
  );
}
