/**
 * The header's publication badge: "Published" (with the published version) and "Changes since publishing"
 * when the draft's body changed after the last publish (see `publishState`). Nothing when unpublished.
 */
import type { QuireDocument } from '../../api/types';
import { publishState } from './publishing';

export function PublishBadge({ doc }: { doc: QuireDocument }) {
  const { published, changed } = publishState(doc);
  if (!published) return null;
  return (
    <span className="publish-badges">
      <span className="badge publish-badge" data-testid="published-badge">
        Published
      </span>
      <span className="muted" data-testid="published-version">
        v{doc.published_version}
      </span>
      {changed && (
        <span className="badge publish-changed" data-testid="publish-changed">
          Changes since publishing
        </span>
      )}
    </span>
  );
}
