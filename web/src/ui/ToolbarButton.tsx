/**
 * A toolbar button with label, shortcut hint and pressed state that keeps the editor selection.
 */
import type { ReactNode } from 'react';

interface Props {
  label: string;
  shortcut?: string;
  /** Added to the tooltip (e.g. why it is disabled). */
  note?: string;
  active?: boolean;
  disabled?: boolean;
  onClick: () => void;
  children: ReactNode;
}

export function ToolbarButton({ label, shortcut, note, active, disabled, onClick, children }: Props) {
  const tip = shortcut ? `${label} (${shortcut})` : label;
  return (
    <button
      type="button"
      className={`tb-btn${active ? ' is-active' : ''}`}
      aria-label={label}
      aria-pressed={active === undefined ? undefined : active}
      title={note ? `${tip}: ${note}` : tip}
      disabled={disabled}
      // keep the editor selection when clicking
      onMouseDown={(e) => e.preventDefault()}
      onClick={onClick}
    >
      {children}
    </button>
  );
}
