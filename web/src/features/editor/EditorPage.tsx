/**
 * The document screen (`/d/:id`): loads the document's metadata, explains a
 * missing document or missing access, then opens the live workspace.
 */
import { ApiError } from '../../api/client';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import type { User } from '../../api/types';
import { useRequest } from '../../lib/useRequest';
import { Alert } from '../../ui/Alert';
import { Link } from '../../ui/Link';
import { DocumentWorkspace } from './DocumentWorkspace';

interface Props {
  docId: string;
  user: User;
}

export function EditorPage({ docId, user }: Props) {
  const { data: doc, error } = useRequest((signal) => api.getDocument(docId, signal), [docId]);

  if (error) {
    const status = error instanceof ApiError ? error.status : 0;
    return (
      <main id="main" className="page narrow">
        <h1>{status === 404 ? 'Document not found' : status === 403 ? 'No access' : 'Could not open'}</h1>
        <Alert>
          {errorMessage(error, {
            fallback: 'Could not open the document.',
            byStatus: {
              404: 'This document does not exist or was deleted.',
              403: 'You do not have access to this document. Ask its owner to share it with you.',
            },
          })}
        </Alert>
        <p>
          <Link href="/">Back to your documents</Link>
        </p>
      </main>
    );
  }
  if (!doc) {
    return (
      <main id="main" className="page" aria-busy="true">
        <p className="muted" role="status">
          Opening document…
        </p>
      </main>
    );
  }
  return <DocumentWorkspace initial={doc} user={user} />;
}
