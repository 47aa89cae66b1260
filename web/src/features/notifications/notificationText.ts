/** The sentence shown for a notification in the bell's list ("alice mentioned you"). */
import type { QuireNotification } from '../../api/types';

export function notificationText(n: Pick<QuireNotification, 'type' | 'actor'>): string {
  const who = n.actor?.username || 'Someone';
  switch (n.type) {
    case 'mention':
      return `${who} mentioned you`;
    case 'reply':
      return `${who} replied`;
    case 'shared':
      return `${who} shared a document with you`;
    default:
      return `${who} did something`;
  }
}

/** The bell's accessible name. */
export const bellLabel = (unread: number) => `Notifications, ${unread} unread`;
