/**
 * Webhooks without React: short names for the API's shapes, one typed
 * call per `/api/webhooks` endpoint, the events a hook can subscribe to, and which form field a 422 is about.
 */
import { request } from '../../api/client';
import type { components } from '../../api/schema.gen';

export const WEBHOOK_EVENTS = [
  'document.published',
  'document.unpublished',
  'document.updated',
  'version.created',
  'comment.created',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** One line per event, shown next to its checkbox. */
export const EVENT_HELP: Record<WebhookEvent, string> = {
  'document.published': 'A document you own is published or republished.',
  'document.unpublished': 'A published document you own is taken down.',
  'document.updated': 'The text or details of a document you own change (once things have been quiet for 30 seconds).',
  'version.created': 'A version of a document you own is saved, by someone or automatically.',
  'comment.created': 'Someone comments or replies on a document you own.',
};

type Schemas = components['schemas'];

export type Webhook = Schemas['WebhookView'];
/** The answer to a create: the only time the signing secret is sent. */
export type CreatedWebhook = Schemas['CreatedWebhook'];
/** `secret`: 8–256 characters; the server generates one when absent. */
export type CreateWebhookInput = Schemas['CreateWebhook'];
export type DeliveryStatus = Schemas['DeliveryStatus'];
export type DeliveryAttempt = Schemas['WebhookAttemptView'];
/** `event_id` is the same in every attempt and redelivery (`Quire-Event-Id`); attempts are oldest first. */
export type Delivery = Schemas['WebhookDeliveryView'];

const enc = encodeURIComponent;

export const webhooksApi = {
  list: (signal?: AbortSignal) => request<Schemas['WebhookList']>('/api/webhooks', { signal }),

  create: (input: CreateWebhookInput) => request<CreatedWebhook>('/api/webhooks', { method: 'POST', body: input }),

  remove: (id: string) => request<unknown>(`/api/webhooks/${enc(id)}`, { method: 'DELETE' }),

  /** The hook's newest deliveries (newest first), each with its attempts. */
  deliveries: (id: string, signal?: AbortSignal) =>
    request<Schemas['WebhookDeliveryList']>(`/api/webhooks/${enc(id)}/deliveries`, { signal }),

  /** Send a delivery again (same event id and body); answers with the delivery, pending again. */
  redeliver: (id: string, deliveryId: string) =>
    request<Delivery>(`/api/webhooks/${enc(id)}/deliveries/${enc(deliveryId)}/redeliver`, { method: 'POST' }),
};

export type WebhookField = 'url' | 'events' | 'secret';

/** The create-form field a validation message from the server is about (null: the form as a whole). */
export function fieldOfMessage(message: string): WebhookField | null {
  const m = message.toLowerCase();
  if (m.startsWith('secret')) return 'secret';
  if (m.startsWith('events') || m.startsWith('unknown event')) return 'events';
  if (m.startsWith('url') || m.includes('resolves to')) return 'url';
  return null;
}

/** A server message as a sentence: "url …" → "The URL …", a capital first letter, a final full stop. */
export function sentence(message: string): string {
  const named = message.replace(/^url\b/i, 'The URL').replace(/^secret\b/i, 'The secret');
  const s = named.charAt(0).toUpperCase() + named.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
