/**
 * The "New document" dialog: title, tags, status and optional Markdown content.
 */
import { useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import { DOC_STATUSES, type DocStatus, type QuireDocument } from '../../api/types';
import { parseTags } from './tags';
import { Alert } from '../../ui/Alert';
import { FormField } from '../../ui/FormField';
import { Modal } from '../../ui/Modal';
import { STATUS_LABELS } from './StatusBadge';

interface Props {
  onClose: () => void;
  onCreated: (doc: QuireDocument) => void;
}

export function CreateDocumentDialog({ onClose, onCreated }: Props) {
  const [title, setTitle] = useState('');
  const [tags, setTags] = useState('');
  const [status, setStatus] = useState<DocStatus>('draft');
  const [body, setBody] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!title.trim()) {
      setError('Please give the document a title.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const doc = await api.createDocument({
        title: title.trim(),
        tags: parseTags(tags),
        status,
        ...(body.trim() ? { body, body_format: 'markdown' as const } : {}),
      });
      onCreated(doc);
    } catch (err) {
      setError(errorMessage(err, { fallback: 'Could not create the document.' }));
      setBusy(false);
    }
  };

  return (
    <Modal title="New document" onClose={onClose} testId="create-dialog" size="lg">
      <form onSubmit={submit} className="stack">
        <FormField
          label="Title"
          name="title"
          required
          maxLength={200}
          value={title}
          data-autofocus
          onChange={(e) => setTitle(e.target.value)}
        />
        <div className="form-row">
          <FormField
            label="Tags"
            name="tags"
            hint="Separate with commas, e.g. guides, onboarding"
            value={tags}
            onChange={(e) => setTags(e.target.value)}
          />
          <div className="field">
            <label htmlFor="create-status">Status</label>
            <select id="create-status" value={status} onChange={(e) => setStatus(e.target.value as DocStatus)}>
              {DOC_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {STATUS_LABELS[s]}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="field">
          <label htmlFor="create-body">Initial content (Markdown, optional)</label>
          <textarea
            id="create-body"
            rows={8}
            value={body}
            placeholder={'# Heading\n\nSome **bold** text and a [link](https://example.com).'}
            onChange={(e) => setBody(e.target.value)}
          />
        </div>
        {error && <Alert>{error}</Alert>}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create document'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
