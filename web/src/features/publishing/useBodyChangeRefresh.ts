/**
 * Body edits do not bring a `metadata` event, so a published document's "Changes since publishing"
 * would only appear on reload: while published, refetch the document shortly after the body changes
 * (any Y.Doc update, local or remote, debounced) and hand it to `apply`.
 */
import { useEffect, useRef } from 'react';
import { api } from '../../api/endpoints';
import type { QuireDocument } from '../../api/types';
import type { CollabSession } from '../../collab/session';

export function useBodyChangeRefresh(
  session: CollabSession | null,
  docId: string,
  published: boolean,
  apply: (doc: QuireDocument) => void,
  delayMs = 1500,
) {
  const applyRef = useRef(apply);
  applyRef.current = apply;
  useEffect(() => {
    if (!session || !published) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let again: ReturnType<typeof setTimeout> | undefined;
    const refetch = () => api.getDocument(docId).then((d) => applyRef.current(d), () => {});
    const onUpdate = () => {
      clearTimeout(timer);
      clearTimeout(again);
      timer = setTimeout(() => {
        void refetch();
        // the server stores updates asynchronously: look once more a little later
        again = setTimeout(() => void refetch(), delayMs * 2);
      }, delayMs);
    };
    session.ydoc.on('update', onUpdate);
    return () => {
      session.ydoc.off('update', onUpdate);
      clearTimeout(timer);
      clearTimeout(again);
    };
  }, [session, docId, published, delayMs]);
}
