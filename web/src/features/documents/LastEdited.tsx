/**
 * "Last edited by bob · 5 min ago" for a document, kept fresh as time passes.
 */
import type { QuireDocument } from '../../api/types';
import { absoluteTime, relativeTime } from '../../lib/relativeTime';
import { useNow } from '../../lib/useNow';

/** "last edited by bob · 5 min ago" (falls back to the update time). */
export function LastEdited({ doc }: { doc: QuireDocument }) {
  const now = useNow(30_000);
  const when = doc.last_edited_at ?? doc.updated_at;
  const who = doc.last_edited_by_username;
  return (
    <span className="last-edited" data-testid="last-edited">
      {who ? (
        <>
          Last edited by <strong>{who}</strong>
        </>
      ) : (
        'Updated'
      )}
      {' · '}
      <time dateTime={when} title={absoluteTime(when)}>
        {relativeTime(when, now)}
      </time>
    </span>
  );
}
