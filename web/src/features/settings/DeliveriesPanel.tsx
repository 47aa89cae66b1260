/**
 * A webhook's delivery log: a table of its newest deliveries (see `DeliveryRow`), refreshed every few
 * seconds while any is pending and on demand; Redeliver sends one again and refreshes the table.
 */
import { useEffect, useId, useState } from 'react';
import { errorMessage } from '../../api/errorMessage';
import { useNow } from '../../lib/useNow';
import { useRequest } from '../../lib/useRequest';
import { Alert } from '../../ui/Alert';
import { DeliveryRow } from './DeliveryRow';
import { webhooksApi, type Delivery, type Webhook } from './webhooks';

/** How often the table refreshes while a delivery is pending. */
export const POLL_MS = 3000;

export function DeliveriesPanel({ hook, id }: { hook: Webhook; id?: string }) {
  const list = useRequest((signal) => webhooksApi.deliveries(hook.id, signal).then((r) => r.items), [hook.id]);
  const { reload } = list;
  const pending = list.data?.some((d) => d.status === 'pending') ?? false;
  const now = useNow(pending ? 1000 : 30_000);
  const [busyId, setBusyId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const headingId = useId();

  useEffect(() => {
    if (!pending) return;
    const t = setInterval(() => void reload(), POLL_MS);
    return () => clearInterval(t);
  }, [pending, reload]);

  const redeliver = async (d: Delivery) => {
    setBusyId(d.id);
    setError(null);
    try {
      await webhooksApi.redeliver(hook.id, d.id);
      await reload();
    } catch (e) {
      setError(errorMessage(e, { fallback: 'Could not redeliver.' }));
    } finally {
      setBusyId(null);
    }
  };

  const loadError = list.error ? errorMessage(list.error, { fallback: 'Could not load the deliveries.' }) : null;
  const items = list.data;

  return (
    <section id={id} className="deliveries" aria-labelledby={headingId} data-testid="deliveries-panel">
      <div className="deliveries-head">
        <h3 id={headingId} className="subheading">Recent deliveries</h3>
        <button type="button" className="btn btn-sm" disabled={list.loading} onClick={() => void reload()}>
          Refresh
        </button>
      </div>
      {(error ?? loadError) && <Alert>{error ?? loadError}</Alert>}
      {items === undefined ? (
        list.loading && (
          <p className="muted" role="status">
            Loading deliveries…
          </p>
        )
      ) : items.length === 0 ? (
        <p className="muted">No deliveries yet. Events of documents you own show up here.</p>
      ) : (
        <div className="deliveries-table-wrap">
          <table className="deliveries-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last response</th>
                <th scope="col">Next attempt</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <DeliveryRow key={d.id} delivery={d} now={now} busy={busyId === d.id} onRedeliver={() => void redeliver(d)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
