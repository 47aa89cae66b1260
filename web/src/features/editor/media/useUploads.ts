/**
 * The editor's image uploads: `uploadFiles(files, pos)` refuses files of an unsupported type at once,
 * uploads the others side by side (each with its own progress), and when the batch is done inserts an
 * `image` node (`src` = the media URL, `alt` = the file name without its extension) for every stored
 * file, in the files' order, where the paste, drop or caret was (kept through collaborators' edits,
 * see `anchor.ts`; at the end of a paragraph they go after it). A refused or failed file becomes a dismissible failure naming the file and the
 * reason; the other files of the batch are still added. Nothing is inserted when the editor is no
 * longer editable by then (a demotion during the upload) or is gone; unmounting cancels the uploads.
 * In suggesting mode images are refused (a block cannot be a suggestion).
 */

const SUGGESTING_REFUSAL = 'images cannot be added as a suggestion. Switch off Suggesting to add it.';
import type { Editor } from '@tiptap/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { isAbortError } from '../../../api/errorMessage';
import { isSuggesting } from '../../../collab/suggesting';
import { anchorPosition } from './anchor';
import { TYPE_REFUSAL, altFromName, isUploadable, refusalMessage, uploadMedia, type UploadedMedia } from './upload';

export interface UploadItem {
  key: string;
  name: string;
  /** 0–100 */
  percent: number;
}

export interface UploadFailure {
  key: string;
  name: string;
  message: string;
}

export type Uploader = typeof uploadMedia;

/** At the end of a non-empty paragraph the images go after it (not into a split leaving an empty one). */
function blockPosition(editor: Editor, pos: number): number {
  const $pos = editor.state.doc.resolve(pos);
  const parent = $pos.parent;
  if ($pos.depth > 0 && parent.isTextblock && parent.content.size > 0 && $pos.parentOffset === parent.content.size) {
    return $pos.after();
  }
  return pos;
}

let counter = 0;
const nextKey = () => `upload-${++counter}`;

type Outcome = { ok: true; media: UploadedMedia } | { ok: false; error: unknown };

export function useUploads(editor: Editor | null, docId: string, upload: Uploader = uploadMedia) {
  const [uploads, setUploads] = useState<UploadItem[]>([]);
  const [failures, setFailures] = useState<UploadFailure[]>([]);
  const abortRef = useRef<AbortController | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    abortRef.current = controller;
    return () => {
      controller.abort();
      abortRef.current = null;
    };
  }, []);

  const fail = useCallback((name: string, message: string) => {
    setFailures((f) => [...f, { key: nextKey(), name, message }]);
  }, []);

  const uploadFiles = useCallback(
    async (files: readonly File[], pos?: number): Promise<void> => {
      if (!editor || editor.isDestroyed || !editor.isEditable || files.length === 0) return;
      if (isSuggesting(editor.state)) {
        for (const f of files) fail(f.name, `${f.name} was not added: ${SUGGESTING_REFUSAL}`);
        return;
      }
      const accepted: File[] = [];
      for (const f of files) {
        if (isUploadable(f)) accepted.push(f);
        else fail(f.name, `${f.name} was not added: ${TYPE_REFUSAL}`);
      }
      if (accepted.length === 0) return;
      const at = anchorPosition(editor.state, pos ?? editor.state.selection.from);
      const items = accepted.map((f) => ({ key: nextKey(), name: f.name, percent: 0 }));
      setUploads((u) => [...u, ...items]);
      const signal = abortRef.current?.signal;
      const outcomes = await Promise.all(
        accepted.map((file, i): Promise<Outcome> => {
          const { key } = items[i];
          const onProgress = (loaded: number, total: number) => {
            const percent = total > 0 ? Math.min(100, Math.round((loaded / total) * 100)) : 0;
            setUploads((u) => u.map((x) => (x.key === key && x.percent !== percent ? { ...x, percent } : x)));
          };
          return upload(docId, file, { onProgress, signal }).then(
            (media) => ({ ok: true, media }),
            (error: unknown) => ({ ok: false, error }),
          );
        }),
      );
      if (signal?.aborted) return;
      const done = new Set(items.map((x) => x.key));
      setUploads((u) => u.filter((x) => !done.has(x.key)));
      const nodes: { type: 'image'; attrs: { src: string; alt: string } }[] = [];
      const stored: string[] = [];
      outcomes.forEach((o, i) => {
        const file = accepted[i];
        if (o.ok) {
          nodes.push({ type: 'image', attrs: { src: o.media.url, alt: altFromName(file.name) } });
          stored.push(file.name);
        } else if (!isAbortError(o.error)) fail(file.name, refusalMessage(file.name, o.error));
      });
      if (nodes.length === 0 || editor.isDestroyed) return;
      if (!editor.isEditable || isSuggesting(editor.state)) {
        const why = editor.isEditable ? SUGGESTING_REFUSAL : 'you can no longer edit this document.';
        for (const name of stored) fail(name, `${name} was not added: ${why}`);
        return;
      }
      try {
        editor.chain().insertContentAt(blockPosition(editor, at(editor.state)), nodes).run();
      } catch {
        for (const name of stored) fail(name, `${name} was not added: it does not fit there. Try another place.`);
      }
    },
    [editor, docId, upload, fail],
  );

  const dismiss = useCallback((key: string) => setFailures((f) => f.filter((x) => x.key !== key)), []);

  return { uploads, failures, uploadFiles, dismiss };
}
