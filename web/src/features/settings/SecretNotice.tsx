/**
 * The signing secret of a webhook just created, shown once: a read-only field, a Copy button and the note
 * that it will not be shown again. "Done" dismisses it for good.
 */
import { useId, useLayoutEffect, useRef, useState } from 'react';
import { Alert } from '../../ui/Alert';
import type { CreatedWebhook } from './webhooks';

export function SecretNotice({ hook, onDone }: { hook: CreatedWebhook; onDone: () => void }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  // keyboard and screen-reader users land on the secret; a layout effect so the focus is there as soon as
  // the notice is (a passive effect runs a moment later, after anything that waits for the notice to appear)
  useLayoutEffect(() => input.current?.focus(), []);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(hook.secret);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };

  return (
    <section className="secret-notice" aria-labelledby={`${id}-title`} data-testid="webhook-secret">
      <h3 id={`${id}-title`} className="subheading">
        Webhook added: copy its secret now
      </h3>
      <p>
        Deliveries to <code>{hook.url}</code> are signed with this secret. <strong>You will not see it again</strong>:
        store it where your receiver can read it.
      </p>
      <div className="input-row">
        <label className="visually-hidden" htmlFor={`${id}-secret`}>
          Signing secret
        </label>
        <input
          ref={input}
          id={`${id}-secret`}
          className="secret-value"
          readOnly
          value={hook.secret}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" className="btn" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" className="btn btn-primary" onClick={onDone}>
          Done
        </button>
      </div>
      {copied === 'yes' && <Alert kind="success">Copied to the clipboard.</Alert>}
      {copied === 'failed' && <Alert kind="warning">Could not copy. Select the secret and copy it yourself.</Alert>}
    </section>
  );
}
