/**
 * "Publishing settings": slug (the title's suggestion when empty), visibility, and the publish/unpublish
 * schedule. Save sends one PATCH of the changed fields with `expected_version`; a taken slug (409
 * `duplicate`) is shown on the field, a version conflict reloads the document and says so.
 */
import { useId, useState, type FormEvent } from 'react';
import { ApiError, ConflictError } from '../../api/client';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import type { PublishingPatch, QuireDocument, Visibility } from '../../api/types';
import { Alert } from '../../ui/Alert';
import { FormField } from '../../ui/FormField';
import { Modal } from '../../ui/Modal';
import { fromLocalInput, isValidSlug, slugify, toLocalInput } from './publishing';

interface Props {
  doc: QuireDocument;
  onClose: () => void;
  /** The document after a save, or as reloaded after a conflict. */
  onDocument: (doc: QuireDocument) => void;
}

const SLUG_RULE = 'Use 1–100 lower-case letters, digits or hyphens.';

/** A labelled datetime-local input with a Clear button. */
function WhenField({ label, value, onChange, testId }: { label: string; value: string; onChange: (v: string) => void; testId: string }) {
  const id = useId();
  return (
    <div className="field publish-when">
      <label htmlFor={id}>{label}</label>
      <div className="publish-when-row">
        <input id={id} type="datetime-local" value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} />
        <button type="button" className="btn" onClick={() => onChange('')} disabled={!value} aria-label={`Clear ${label}`}>
          Clear
        </button>
      </div>
    </div>
  );
}

/** The patch of the fields that differ from the document. */
export function publishingPatch(
  doc: QuireDocument,
  form: { slug: string; visibility: Visibility; publishAt: string; unpublishAt: string },
): PublishingPatch {
  const patch: PublishingPatch = {};
  const slug = form.slug.trim() || null;
  if (slug !== (doc.slug ?? null)) patch.slug = slug;
  if (form.visibility !== doc.visibility) patch.visibility = form.visibility;
  const publishAt = fromLocalInput(form.publishAt);
  if (form.publishAt !== toLocalInput(doc.publish_at)) patch.publish_at = publishAt;
  const unpublishAt = fromLocalInput(form.unpublishAt);
  if (form.unpublishAt !== toLocalInput(doc.unpublish_at)) patch.unpublish_at = unpublishAt;
  return patch;
}

export function PublishingDialog({ doc, onClose, onDocument }: Props) {
  const [slug, setSlug] = useState(doc.slug ?? '');
  const [visibility, setVisibility] = useState<Visibility>(doc.visibility);
  const [publishAt, setPublishAt] = useState(toLocalInput(doc.publish_at));
  const [unpublishAt, setUnpublishAt] = useState(toLocalInput(doc.unpublish_at));
  const [slugError, setSlugError] = useState<string | undefined>();
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [base, setBase] = useState(doc);
  const suggestion = slugify(doc.title);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setNotice(null);
    const s = slug.trim();
    if (s && !isValidSlug(s)) {
      setSlugError(SLUG_RULE);
      return;
    }
    setSlugError(undefined);
    const patch = publishingPatch(base, { slug: s, visibility, publishAt, unpublishAt });
    if (Object.keys(patch).length === 0) {
      onClose();
      return;
    }
    setBusy(true);
    try {
      onDocument(await api.updatePublishing(doc.id, patch, base.version));
      onClose();
    } catch (err) {
      if (err instanceof ConflictError) {
        setBase(err.current);
        onDocument(err.current);
        setNotice('Someone else changed this document meanwhile. It has been reloaded; your values are kept — check them and save again.');
      } else if (err instanceof ApiError && err.status === 409) {
        setSlugError(`The slug “${s}” is already taken. Choose another.`);
      } else if (err instanceof ApiError && err.status === 422) {
        setError(errorMessage(err, { fallback: 'Some values are not valid.' }));
      } else {
        setError(errorMessage(err, { fallback: 'Could not save the publishing settings.' }));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="Publishing settings" onClose={onClose} testId="publishing-dialog">
      <form className="publishing-form" onSubmit={(e) => void submit(e)} noValidate>
        <FormField
          label="Slug"
          value={slug}
          placeholder={suggestion}
          hint={`The page address: /p/${slug.trim() || suggestion}${slug.trim() ? '' : ' (from the title when empty)'}`}
          error={slugError}
          onChange={(e) => {
            setSlug(e.target.value);
            setSlugError(undefined);
          }}
          data-testid="slug-input"
          data-autofocus
          autoComplete="off"
          spellCheck={false}
        />
        <fieldset className="field publish-visibility">
          <legend>Visibility</legend>
          <label>
            <input type="radio" name="visibility" value="private" checked={visibility === 'private'} onChange={() => setVisibility('private')} data-testid="visibility-private" />
            Private <span className="muted">(members only)</span>
          </label>
          <label>
            <input type="radio" name="visibility" value="public" checked={visibility === 'public'} onChange={() => setVisibility('public')} data-testid="visibility-public" />
            Public <span className="muted">(anyone with the link)</span>
          </label>
        </fieldset>
        <WhenField label="Publish at" value={publishAt} onChange={setPublishAt} testId="publish-at-input" />
        <WhenField label="Unpublish at" value={unpublishAt} onChange={setUnpublishAt} testId="unpublish-at-input" />
        {notice && <Alert kind="warning">{notice}</Alert>}
        {error && <Alert>{error}</Alert>}
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy} data-testid="publishing-save">
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
