/**
 * The accessible modal dialog every dialog builds on.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';

interface Props {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Optional description id target text. */
  description?: ReactNode;
  size?: 'sm' | 'md' | 'lg';
  testId?: string;
  role?: 'dialog' | 'alertdialog';
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Open dialogs, innermost last: only the innermost one handles keys. */
const openModals: HTMLElement[] = [];

/** Accessible modal dialog: labelled, focus-trapped, Escape closes, focus restored on close. */
export function Modal({ title, onClose, children, description, size = 'md', testId, role = 'dialog' }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const descId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const node = ref.current;
    if (!node) return;
    openModals.push(node);
    const first = node.querySelector<HTMLElement>('[data-autofocus]') ?? node.querySelector<HTMLElement>(FOCUSABLE);
    (first ?? node).focus();
    // on the document, so Escape and Tab still work when a click left focus on the page (focus trap)
    const onKey = (e: KeyboardEvent) => {
      if (openModals[openModals.length - 1] !== node) return;
      if (e.key === 'Escape') {
        e.stopPropagation();
        e.preventDefault();
        closeRef.current();
      } else if (e.key === 'Tab') {
        const items = Array.from(node.querySelectorAll<HTMLElement>(FOCUSABLE));
        if (items.length === 0) {
          e.preventDefault();
          node.focus();
          return;
        }
        const firstEl = items[0];
        const lastEl = items[items.length - 1];
        const active = document.activeElement;
        if (!active || !node.contains(active)) {
          e.preventDefault();
          (e.shiftKey ? lastEl : firstEl).focus();
        } else if (e.shiftKey && (active === firstEl || active === node)) {
          e.preventDefault();
          lastEl.focus();
        } else if (!e.shiftKey && active === lastEl) {
          e.preventDefault();
          firstEl.focus();
        }
      }
    };
    // a control that got disabled or removed under the mouse drops focus to <body>: bring it back
    const onFocusOut = (e: FocusEvent) => {
      const next = e.relatedTarget as Node | null;
      if (next && node.contains(next)) return;
      setTimeout(() => {
        if (openModals[openModals.length - 1] !== node) return;
        const active = document.activeElement;
        if (!active || active === document.body) node.focus();
      }, 0);
    };
    document.addEventListener('keydown', onKey, true);
    node.addEventListener('focusout', onFocusOut);
    return () => {
      document.removeEventListener('keydown', onKey, true);
      node.removeEventListener('focusout', onFocusOut);
      const i = openModals.lastIndexOf(node);
      if (i >= 0) openModals.splice(i, 1);
      previous?.focus?.();
    };
  }, []);

  return createPortal(
    <div
      className="modal-backdrop"
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <div
        ref={ref}
        className={`modal modal-${size}`}
        role={role}
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={description ? descId : undefined}
        tabIndex={-1}
        data-testid={testId}
      >
        <div className="modal-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="btn btn-icon btn-ghost" aria-label="Close dialog" onClick={onClose}>
            <span aria-hidden="true">×</span>
          </button>
        </div>
        {description && (
          <div id={descId} className="modal-description">
            {description}
          </div>
        )}
        <div className="modal-body">{children}</div>
      </div>
    </div>,
    document.body,
  );
}
