import { useEffect, useState } from 'react';
import { ApiError } from '../../api/client';
import { api } from '../../api/endpoints';
import type { QuireDocument, User } from '../../api/types';
import { Alert } from '../../ui/Alert';
import { Link } from '../../ui/Link';
import { DocumentWorkspace } from './DocumentWorkspace';

interface Props {
  docId: string;
  user: User;
}

/** Loads the document's metadata, then opens the live workspace. */
export function EditorPage({ docId, user }: Props) {
  const [doc, setDoc] = useState<QuireDocument | null>(null);
  const [error, setError] = useState<{ status: number; message: string } | null>(null);

  useEffect(() => {
    let cancelled = false;
    api
      .getDocument(docId)
      .then((d) => !cancelled && setDoc(d))
      .catch((e: unknown) => {
        if (cancelled) return;
        if (e instanceof ApiError) setError({ status: e.status, message: e.message });
        else setError({ status: 0, message: 'Could not open the document.' });
      });
    return () => {
      cancelled = true;
    };
  }, [docId]);

  if (error) {
    return (
      <main id="main" className="page narrow">
        <h1>{error.status === 404 ? 'Document not found' : error.status === 403 ? 'No access' : 'Could not open'}</h1>
        <Alert>
          {error.status === 404
            ? 'This document does not exist or was deleted.'
            : error.status === 403
              ? 'You do not have access to this document. Ask its owner to share it with you.'
              : error.message}
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
