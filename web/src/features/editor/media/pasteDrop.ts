/**
 * The editor's paste and drop handlers for image files: a paste of image files puts them in place of the
 * selection, a drop puts them where they were dropped (the view's `posAtCoords`); `onFiles(files, pos)`
 * uploads them. A paste or drop without image files, and a drag moving content within the editor, are
 * left to the editor as before.
 */
import type { EditorView } from '@tiptap/pm/view';
import { imageFiles } from './upload';

export type OnFiles = (files: File[], pos: number) => void;

export function mediaHandlers(onFiles: () => OnFiles | null) {
  return {
    handlePaste(view: EditorView, event: ClipboardEvent): boolean {
      const files = imageFiles(event.clipboardData);
      const upload = onFiles();
      if (files.length === 0 || !upload) return false;
      event.preventDefault();
      // like a paste, the images take the place of the selection
      if (!view.state.selection.empty) view.dispatch(view.state.tr.deleteSelection());
      upload(files, view.state.selection.from);
      return true;
    },
    handleDrop(view: EditorView, event: DragEvent, _slice: unknown, moved: boolean): boolean {
      if (moved) return false;
      const files = imageFiles(event.dataTransfer);
      const upload = onFiles();
      if (files.length === 0 || !upload) return false;
      event.preventDefault();
      let pos: number | undefined;
      try {
        pos = view.posAtCoords({ left: event.clientX, top: event.clientY })?.pos;
      } catch {
        pos = undefined; // no layout (the point is outside, or a DOM without geometry)
      }
      upload(files, pos ?? view.state.selection.from);
      return true;
    },
  };
}
