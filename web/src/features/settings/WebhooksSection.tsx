/**
 * The "Webhooks" section of Settings: your hooks (URL, event chips, when added) with their delivery logs
 * and Delete (confirmed first), the one-time secret of a hook just added, and the form to add one.
 */
import { useId, useState } from 'react';
import { errorMessage } from '../../api/errorMessage';
import { absoluteTime, relativeTime } from '../../lib/relativeTime';
import { useRequest } from '../../lib/useRequest';
import { Alert } from '../../ui/Alert';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { DeliveriesPanel } from './DeliveriesPanel';
import { SecretNotice } from './SecretNotice';
import { WebhookForm } from './WebhookForm';
import { webhooksApi, type CreatedWebhook, type Webhook } from './webhooks';

interface ItemProps {
  hook: Webhook;
  open: boolean;
  onToggle: () => void;
  onDelete: () => void;
}

function WebhookItem({ hook, open, onToggle, onDelete }: ItemProps) {
  const panelId = useId();
  return (
    <li className="webhook" data-testid="webhook" data-url={hook.url}>
      <div className="webhook-main">
        <code className="webhook-url">{hook.url}</code>
        <div className="webhook-actions">
          <button
            type="button"
            className="btn btn-sm"
            aria-expanded={open}
            aria-controls={panelId}
            aria-label={`Deliveries for ${hook.url}`}
            onClick={onToggle}
          >
            Deliveries
          </button>
          <button type="button" className="btn btn-sm btn-danger-ghost" aria-label={`Delete ${hook.url}`} onClick={onDelete}>
            Delete
          </button>
        </div>
      </div>
      <ul className="tag-list" aria-label="Events">
        {hook.events.map((e) => (
          <li key={e} className="tag">
            {e}
          </li>
        ))}
      </ul>
      <div className="doc-row-meta">
        <span>
          Added{' '}
          <time dateTime={hook.created_at} title={absoluteTime(hook.created_at)}>
            {relativeTime(hook.created_at)}
          </time>
        </span>
      </div>
      {open && <DeliveriesPanel id={panelId} hook={hook} />}
    </li>
  );
}

export function WebhooksSection() {
  const hooks = useRequest((signal) => webhooksApi.list(signal).then((r) => r.items), []);
  const [created, setCreated] = useState<CreatedWebhook | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();

  const onCreated = (hook: CreatedWebhook) => {
    setCreated(hook);
    void hooks.reload();
  };

  const remove = async (hook: Webhook) => {
    setBusy(true);
    setError(null);
    try {
      await webhooksApi.remove(hook.id);
      if (openId === hook.id) setOpenId(null);
      if (created?.id === hook.id) setCreated(null);
      await hooks.reload();
    } catch (e) {
      setError(errorMessage(e, { fallback: 'Could not delete the webhook.', byStatus: { 404: 'That webhook no longer exists.' } }));
    } finally {
      setBusy(false);
      setDeleting(null);
    }
  };

  const loadError = hooks.error ? errorMessage(hooks.error, { fallback: 'Could not load your webhooks.' }) : null;
  const items = hooks.data;

  return (
    <section className="settings-section" aria-labelledby={headingId}>
      <h2 id={headingId}>Webhooks</h2>
      <p className="muted">
        Quire sends a signed <code>POST</code> to each URL when something happens to a document you own.
      </p>
      {created && <SecretNotice hook={created} onDone={() => setCreated(null)} />}
      {(error ?? loadError) && <Alert>{error ?? loadError}</Alert>}
      {items === undefined ? (
        hooks.loading && (
          <p className="muted" role="status">
            Loading webhooks…
          </p>
        )
      ) : items.length === 0 ? (
        <p className="empty-state">No webhooks yet.</p>
      ) : (
        <ul className="webhook-list" data-testid="webhook-list">
          {items.map((h) => (
            <WebhookItem
              key={h.id}
              hook={h}
              open={openId === h.id}
              onToggle={() => setOpenId((id) => (id === h.id ? null : h.id))}
              onDelete={() => setDeleting(h)}
            />
          ))}
        </ul>
      )}
      <WebhookForm onCreated={onCreated} />
      {deleting && (
        <ConfirmDialog
          title="Delete this webhook?"
          confirmLabel="Delete webhook"
          danger
          busy={busy}
          onConfirm={() => void remove(deleting)}
          onCancel={() => setDeleting(null)}
          testId="delete-webhook-dialog"
        >
          <p>
            Nothing more is sent to <code>{deleting.url}</code>, and its delivery log is deleted.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
