/** "Scheduled: publishes … / unpublishes …" in the header while a publish_at / unpublish_at is set. */
import type { QuireDocument } from '../../api/types';
import { localTime } from './publishing';

export function ScheduleNotice({ doc }: { doc: QuireDocument }) {
  const parts: string[] = [];
  if (doc.publish_at) parts.push(`publishes ${localTime(doc.publish_at)}`);
  if (doc.unpublish_at) parts.push(`unpublishes ${localTime(doc.unpublish_at)}`);
  if (parts.length === 0) return null;
  return (
    <span className="muted publish-schedule" data-testid="publish-schedule">
      Scheduled: {parts.join(', ')}
    </span>
  );
}
