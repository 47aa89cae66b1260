/**
 * The add/edit link dialog and the normalising of typed addresses (unsafe schemes refused).
 */
import { useState, type FormEvent } from 'react';
import { FormField } from '../../ui/FormField';
import { Modal } from '../../ui/Modal';

interface Props {
  initial: string;
  onSubmit: (href: string | null) => void;
  onClose: () => void;
}

export function normalizeHref(raw: string): string | null {
  const v = raw.trim();
  if (!v) return null;
  if (/^(https?:|mailto:)/i.test(v)) return v;
  if (/^[a-z][a-z0-9+.-]*:/i.test(v)) return null; // javascript:, data: …
  if (v.startsWith('/') || v.startsWith('#')) return v;
  return `https://${v}`;
}

export function LinkDialog({ initial, onSubmit, onClose }: Props) {
  const [href, setHref] = useState(initial);
  const [error, setError] = useState<string | undefined>();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!href.trim()) {
      onSubmit(null);
      return;
    }
    const n = normalizeHref(href);
    if (!n) {
      setError('Use a web address (https://…) or mailto: link.');
      return;
    }
    onSubmit(n);
  };
  return (
    <Modal title={initial ? 'Edit link' : 'Add link'} onClose={onClose} size="sm" testId="link-dialog">
      <form onSubmit={submit} className="stack">
        <FormField
          label="Link address"
          type="text"
          inputMode="url"
          placeholder="https://example.com"
          value={href}
          error={error}
          data-autofocus
          onChange={(e) => setHref(e.target.value)}
        />
        <div className="dialog-actions">
          {initial && (
            <button type="button" className="btn btn-danger-ghost" onClick={() => onSubmit(null)}>
              Remove link
            </button>
          )}
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary">
            Apply
          </button>
        </div>
      </form>
    </Modal>
  );
}
