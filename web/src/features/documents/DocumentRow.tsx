/**
 * One row of the document list: title link, status badge, role chip, owner, last edit and tags.
 */
import type { QuireDocument } from '../../api/types';
import { LastEdited } from './LastEdited';
import { Link } from '../../ui/Link';
import { StatusBadge } from './StatusBadge';
import { TagList } from './TagList';

interface Props {
  doc: QuireDocument;
  onTag?: (tag: string) => void;
  activeTag?: string;
}

export function DocumentRow({ doc, onTag, activeTag }: Props) {
  return (
    <li className="doc-row" data-testid="doc-row" data-doc-id={doc.id}>
      <div className="doc-row-main">
        <Link href={`/d/${encodeURIComponent(doc.id)}`} className="doc-title-link">
          {doc.title || 'Untitled'}
        </Link>
        <StatusBadge status={doc.status} />
        {doc.role !== 'owner' && <span className="role-chip">{doc.role === 'viewer' ? 'View only' : doc.role === 'commenter' ? 'Can comment' : 'Shared with you'}</span>}
      </div>
      <div className="doc-row-meta">
        <span className="doc-owner">Owner: {doc.owner_username ?? 'unknown'}</span>
        <LastEdited doc={doc} />
      </div>
      <TagList tags={doc.tags} onSelect={onTag} activeTag={activeTag} />
    </li>
  );
}
