/**
 * The "Add a webhook" form: the receiver URL, a checkbox per event (each with a one-line explanation) and an
 * optional signing secret. A 422 from the server is shown by the field it is about; other failures above
 * the button.
 */
import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client';
import { errorMessage } from '../../api/errorMessage';
import { Alert } from '../../ui/Alert';
import { FormField } from '../../ui/FormField';
import {
  EVENT_HELP,
  WEBHOOK_EVENTS,
  fieldOfMessage,
  sentence,
  webhooksApi,
  type CreatedWebhook,
  type WebhookField,
} from './webhooks';

type FieldErrors = Partial<Record<WebhookField, string>>;

export function WebhookForm({ onCreated }: { onCreated: (hook: CreatedWebhook) => void }) {
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [secret, setSecret] = useState('');
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = useId();
  const eventsErrorId = `${ids}-events-err`;

  const toggle = (event: string, on: boolean) =>
    setEvents((list) => (on ? WEBHOOK_EVENTS.filter((e) => e === event || list.includes(e)) : list.filter((e) => e !== event)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const local: FieldErrors = {};
    if (!url.trim()) local.url = 'Enter the URL the events are sent to.';
    if (events.length === 0) local.events = 'Choose at least one event.';
    setFieldErrors(local);
    setFormError(null);
    if (Object.keys(local).length > 0) return;
    setBusy(true);
    try {
      const hook = await webhooksApi.create({ url: url.trim(), events, secret: secret || undefined });
      setUrl('');
      setEvents([]);
      setSecret('');
      onCreated(hook);
    } catch (err) {
      const field = err instanceof ApiError && err.code === 'validation' ? fieldOfMessage(err.message) : null;
      if (field) setFieldErrors({ [field]: sentence((err as ApiError).message) });
      else setFormError(errorMessage(err, { fallback: 'Could not add the webhook.' }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="webhook-form" onSubmit={submit} noValidate aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`} className="subheading">
        Add a webhook
      </h3>
      <FormField
        label="Payload URL"
        type="url"
        inputMode="url"
        autoComplete="off"
        placeholder="https://example.com/quire-hook"
        value={url}
        onChange={(e) => setUrl(e.target.value)}
        error={fieldErrors.url}
      />
      <fieldset className="webhook-events">
        <legend>Events</legend>
        {WEBHOOK_EVENTS.map((event) => (
          <div key={event} className="webhook-event">
            <input
              type="checkbox"
              id={`${ids}-${event}`}
              aria-describedby={[`${ids}-${event}-help`, fieldErrors.events && eventsErrorId].filter(Boolean).join(' ')}
              checked={events.includes(event)}
              onChange={(e) => toggle(event, e.target.checked)}
            />
            <label htmlFor={`${ids}-${event}`}>{event}</label>
            <p id={`${ids}-${event}-help`} className="field-hint">
              {EVENT_HELP[event]}
            </p>
          </div>
        ))}
        {fieldErrors.events && (
          <p id={eventsErrorId} className="field-error">
            {fieldErrors.events}
          </p>
        )}
      </fieldset>
      <FormField
        label="Secret (optional)"
        hint="8–256 characters, used to sign each delivery. Leave empty to have one generated."
        autoComplete="off"
        spellCheck={false}
        value={secret}
        onChange={(e) => setSecret(e.target.value)}
        error={fieldErrors.secret}
      />
      {formError && <Alert>{formError}</Alert>}
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? 'Adding…' : 'Add webhook'}
      </button>
    </form>
  );
}
