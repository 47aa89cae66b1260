/**
 * One delivery in the deliveries table: event type, status badge, attempt count, the last response, when
 * the next attempt is due, Redeliver, and an expandable list of every attempt.
 */
import { useId, useState } from 'react';
import { absoluteTime, relativeTime, untilTime } from '../../lib/relativeTime';
import type { Delivery, DeliveryAttempt, DeliveryStatus } from './webhooks';

const STATUS_LABELS: Record<DeliveryStatus, string> = {
  pending: 'Pending',
  succeeded: 'Succeeded',
  failed: 'Failed',
};

/** "HTTP 500 · connection refused", "HTTP 200", or a dash for no answer and no error. */
function attemptResult(a: DeliveryAttempt | undefined): string {
  if (!a) return '—';
  return [a.response_status != null && `HTTP ${a.response_status}`, a.error].filter(Boolean).join(' · ') || '—';
}

function DeliveryStatusBadge({ status }: { status: DeliveryStatus }) {
  return (
    <span className={`badge badge-delivery-${status}`} data-testid="delivery-status" data-status={status}>
      {STATUS_LABELS[status] ?? status}
    </span>
  );
}

interface Props {
  delivery: Delivery;
  now: Date;
  busy: boolean;
  onRedeliver: () => void;
}

export function DeliveryRow({ delivery: d, now, busy, onRedeliver }: Props) {
  const [expanded, setExpanded] = useState(false);
  const attemptsId = useId();
  const last = d.attempts[d.attempts.length - 1];
  const which = `${d.type} of ${absoluteTime(d.created_at)}`;
  return (
    <>
      <tr data-testid="delivery" data-delivery-id={d.id} data-event-id={d.event_id}>
        <td>
          <code>{d.type}</code>
          <div className="muted small" title={absoluteTime(d.created_at)}>
            {relativeTime(d.created_at, now)}
          </div>
        </td>
        <td>
          <DeliveryStatusBadge status={d.status} />
        </td>
        <td data-testid="delivery-attempts">{d.attempts.length}</td>
        <td data-testid="delivery-last">{attemptResult(last)}</td>
        <td title={absoluteTime(d.next_attempt_at)}>
          {d.status === 'pending' && d.next_attempt_at ? untilTime(d.next_attempt_at, now) : '—'}
        </td>
        <td>
          <div className="delivery-actions">
            <button
              type="button"
              className="btn btn-sm"
              aria-expanded={expanded}
              aria-controls={attemptsId}
              aria-label={`Attempts: ${which}`}
              onClick={() => setExpanded((x) => !x)}
            >
              Attempts
            </button>
            <button
              type="button"
              className="btn btn-sm"
              disabled={busy}
              aria-label={`${busy ? 'Sending' : 'Redeliver'}: ${which}`}
              onClick={onRedeliver}
            >
              {busy ? 'Sending…' : 'Redeliver'}
            </button>
          </div>
        </td>
      </tr>
      <tr id={attemptsId} className="delivery-detail" hidden={!expanded}>
        <td colSpan={6}>
          <p className="muted small">
            Event id <code>{d.event_id}</code>
          </p>
          {d.attempts.length === 0 ? (
            <p className="muted small">No attempt yet.</p>
          ) : (
            <ol className="attempt-list" data-testid="attempt-list">
              {d.attempts.map((a, i) => (
                <li key={i}>
                  <time dateTime={a.at} title={absoluteTime(a.at)}>
                    {relativeTime(a.at, now)}
                  </time>
                  : {attemptResult(a)}
                </li>
              ))}
            </ol>
          )}
        </td>
      </tr>
    </>
  );
}
