/**
 * The "Image alt text" dialog: edits the `alt` of the selected image (empty marks it decorative).
 */
import { useState, type FormEvent } from 'react';
import { FormField } from '../../../ui/FormField';
import { Modal } from '../../../ui/Modal';

interface Props {
  initial: string;
  onSubmit: (alt: string) => void;
  onClose: () => void;
}

export function AltTextDialog({ initial, onSubmit, onClose }: Props) {
  const [alt, setAlt] = useState(initial);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit(alt.trim());
  };
  return (
    <Modal title="Image alt text" onClose={onClose} size="sm" testId="alt-text-dialog">
      <form onSubmit={submit} className="stack">
        <FormField
          label="Alternative text"
          hint="Describe the image for people who cannot see it. Leave empty if it is only decoration."
          type="text"
          value={alt}
          maxLength={500}
          data-autofocus
          onChange={(e) => setAlt(e.target.value)}
        />
        <div className="dialog-actions">
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
