/**
 * Image uploads: `uploadMedia` over a scripted XMLHttpRequest (request shape, progress, 201 and the
 * 413/415/403 refusals), the refusal sentences, and `useUploads` on a real TipTap editor bound to a
 * Y.Doc: several files at once with a progress bar each, images inserted with url/alt where they were
 * put (also after a collaborator typed before that place), unsupported types refused by name, nothing
 * inserted into a read-only editor; the paste and drop handlers.
 */
import { Editor } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { ApiError } from '../api/client';
import { contentExtensions } from '../collab/extensions';
import { SuggestionDeletion, SuggestionInsertion, SuggestionModification, setSuggesting, suggesting } from '../collab/suggesting';
import { mediaHandlers } from '../features/editor/media/pasteDrop';
import { UploadProgress } from '../features/editor/media/UploadProgress';
import { altFromName, refusalMessage, uploadMedia, type UploadedMedia, type UploadOptions } from '../features/editor/media/upload';
import { useUploads } from '../features/editor/media/useUploads';

/** A scripted XMLHttpRequest: records what is sent; the test drives progress and the answer. */
class FakeXHR {
  static last: FakeXHR | null = null;
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown;
  status = 0;
  responseText = '';
  withCredentials = false;
  upload: { onprogress: ((e: { loaded: number; total: number; lengthComputable: boolean }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  constructor() {
    FakeXHR.last = this;
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  send(body: unknown) {
    this.body = body;
  }
  abort() {
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true });
  }
  answer(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

const png = (name = 'photo.png', bytes = 10) => new File([new Uint8Array(bytes)], name, { type: 'image/png' });
const media = (id: string): UploadedMedia => ({ id, url: `/api/media/${id}`, content_type: 'image/png', bytes: 10, width: 2, height: 2 });

afterEach(() => {
  vi.unstubAllGlobals();
  FakeXHR.last = null;
});

describe('uploadMedia', () => {
  it('POSTs the raw file with its type and the CSRF header, reports progress, and resolves with the 201 body', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXHR);
    document.cookie = 'quire_csrf=tok-1; path=/';
    const file = png('cat.png', 200);
    const progress: [number, number][] = [];
    const p = uploadMedia('doc 1', file, { onProgress: (l, t) => progress.push([l, t]) });
    const xhr = FakeXHR.last!;
    expect(xhr.method).toBe('POST');
    expect(xhr.url).toBe('/api/documents/doc%201/media');
    expect(xhr.headers['Content-Type']).toBe('image/png');
    expect(xhr.headers['X-CSRF-Token']).toBe('tok-1');
    expect(xhr.body).toBe(file);
    xhr.progress(50, 200);
    xhr.progress(200, 200);
    xhr.answer(201, media('m1'));
    await expect(p).resolves.toEqual(media('m1'));
    expect(progress.slice(0, 2)).toEqual([
      [50, 200],
      [200, 200],
    ]);
  });

  it.each([
    [413, { error: 'too_large', message: 'The file is larger than 10 MiB.' }, 'big.png was not added: the file is larger than 10 MiB.'],
    [415, { error: 'unsupported_media_type', message: 'Unsupported type' }, 'big.png was not added: only PNG, JPEG, GIF and WebP images can be uploaded.'],
    [403, { error: 'forbidden', message: 'Forbidden' }, 'big.png was not added: you do not have permission to add images to this document.'],
  ])('a %i rejects with an ApiError that reads as a refusal naming the file', async (status, body, sentence) => {
    vi.stubGlobal('XMLHttpRequest', FakeXHR);
    const p = uploadMedia('d', png('big.png'));
    FakeXHR.last!.answer(status, body);
    const e = await p.catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(status);
    expect(refusalMessage('big.png', e)).toBe(sentence);
  });

  it('a network failure and a 413 without a message still say what happened', async () => {
    vi.stubGlobal('XMLHttpRequest', FakeXHR);
    const p = uploadMedia('d', png());
    FakeXHR.last!.onerror?.();
    const e = await p.catch((x: unknown) => x);
    expect((e as ApiError).status).toBe(0);
    expect(refusalMessage('photo.png', e)).toBe('photo.png was not added: cannot reach the server. Check your connection.');
    expect(refusalMessage('photo.png', new ApiError(413, 'too_large', ''))).toBe(
      'photo.png was not added: it is larger than the server accepts.',
    );
  });

  it('alt text is the file name without its extension', () => {
    expect(altFromName('Team photo.final.jpeg')).toBe('Team photo.final');
    expect(altFromName('image.png')).toBe('image');
    expect(altFromName('.png')).toBe('.png');
    expect(altFromName('noext')).toBe('noext');
  });
});

/** A controllable uploader: each call waits until the test settles it. */
function scriptedUploader() {
  const calls: { file: File; opts: UploadOptions; resolve: (m: UploadedMedia) => void; reject: (e: unknown) => void }[] = [];
  const upload = vi.fn(
    (_doc: string, file: File, opts: UploadOptions = {}) =>
      new Promise<UploadedMedia>((resolve, reject) => {
        calls.push({ file, opts, resolve, reject });
      }),
  );
  return { upload, calls };
}

let editors: Editor[] = [];
afterEach(() => {
  editors.forEach((e) => e.destroy());
  editors = [];
});

function collabEditor(ydoc = new Y.Doc(), html?: string) {
  const editor = new Editor({
    extensions: [
      ...contentExtensions(),
      SuggestionInsertion,
      SuggestionDeletion,
      SuggestionModification,
      suggesting({ id: 'u-alice', username: 'alice' }),
      Collaboration.configure({ document: ydoc, field: 'default' }),
    ],
  });
  editors.push(editor);
  if (html) editor.commands.setContent(html);
  return editor;
}

/** The images of the document in order, with the text of the block before each. */
function images(editor: Editor) {
  const out: { src: string; alt: string; before: string }[] = [];
  let before = '';
  editor.state.doc.forEach((n) => {
    if (n.type.name === 'image') out.push({ src: n.attrs.src as string, alt: n.attrs.alt as string, before });
    else before = n.textContent;
  });
  return out;
}

function Harness({ editor, upload }: { editor: Editor; upload: ReturnType<typeof scriptedUploader>['upload'] }) {
  const m = useUploads(editor, 'doc-1', upload);
  (Harness as unknown as { api: typeof m }).api = m;
  return <UploadProgress uploads={m.uploads} failures={m.failures} onDismiss={m.dismiss} />;
}
const api = () => (Harness as unknown as { api: ReturnType<typeof useUploads> }).api;

describe('useUploads', () => {
  it('uploads several files with a progress bar each, then inserts their images in order at the position', async () => {
    const editor = collabEditor(undefined, '<p>First</p><p>Second</p>');
    const { upload, calls } = scriptedUploader();
    render(<Harness editor={editor} upload={upload} />);
    const end = editor.state.doc.child(0).nodeSize; // between the paragraphs
    let done!: Promise<void>;
    act(() => {
      done = api().uploadFiles([png('a.png'), new File(['x'], 'b.jpg', { type: 'image/jpeg' })], end);
    });
    expect(upload).toHaveBeenCalledTimes(2);
    expect(calls.map((c) => c.file.name)).toEqual(['a.png', 'b.jpg']);
    const barA = screen.getByRole('progressbar', { name: 'Uploading a.png' });
    const barB = screen.getByRole('progressbar', { name: 'Uploading b.jpg' });
    expect(barA).toHaveAttribute('aria-valuenow', '0');
    act(() => calls[0].opts.onProgress?.(5, 10));
    expect(barA).toHaveAttribute('aria-valuenow', '50');
    expect(barB).toHaveAttribute('aria-valuenow', '0');
    // b finishes first; nothing is inserted until the batch is done, then both in the files' order
    await act(async () => calls[1].resolve(media('m-b')));
    expect(images(editor)).toEqual([]);
    await act(async () => {
      calls[0].resolve(media('m-a'));
      await done;
    });
    expect(images(editor)).toEqual([
      { src: '/api/media/m-a', alt: 'a', before: 'First' },
      { src: '/api/media/m-b', alt: 'b', before: 'First' },
    ]);
    expect(editor.state.doc.lastChild?.textContent).toBe('Second');
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('at the end of a paragraph the image goes after it, in the middle it splits the paragraph', async () => {
    const editor = collabEditor(undefined, '<p>Hello world</p>');
    const { upload, calls } = scriptedUploader();
    render(<Harness editor={editor} upload={upload} />);
    let done!: Promise<void>;
    act(() => {
      done = api().uploadFiles([png('end.png')], 12); // after "world"
    });
    await act(async () => {
      calls[0].resolve(media('m-end'));
      await done;
    });
    const blocks = () => {
      const out: string[] = [];
      editor.state.doc.forEach((n) => out.push(n.type.name === 'image' ? `img:${n.attrs.alt}` : `${n.type.name}:${n.textContent}`));
      return out;
    };
    // (StarterKit's trailing node keeps a paragraph at the end of the document)
    expect(blocks()).toEqual(['paragraph:Hello world', 'img:end', 'paragraph:']);
    act(() => {
      done = api().uploadFiles([png('mid.png')], 7); // before "world"
    });
    await act(async () => {
      calls[1].resolve(media('m-mid'));
      await done;
    });
    expect(blocks()).toEqual(['paragraph:Hello ', 'img:mid', 'paragraph:world', 'img:end', 'paragraph:']);
  });

  it('keeps the place while a collaborator types before it', async () => {
    const ydoc = new Y.Doc();
    const editor = collabEditor(ydoc, '<p>One</p><p>Two</p>');
    const { upload, calls } = scriptedUploader();
    render(<Harness editor={editor} upload={upload} />);
    const afterOne = editor.state.doc.child(0).nodeSize;
    let done!: Promise<void>;
    act(() => {
      done = api().uploadFiles([png('pic.png')], afterOne);
    });
    // another client adds a paragraph at the top (a remote Yjs update)
    const peer = new Y.Doc();
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(ydoc));
    const frag = peer.getXmlFragment('default');
    const p = new Y.XmlElement('paragraph');
    p.insert(0, [new Y.XmlText('Zero, written by a collaborator')]);
    frag.insert(0, [p]);
    Y.applyUpdate(ydoc, Y.encodeStateAsUpdate(peer, Y.encodeStateVector(ydoc)));
    expect(editor.state.doc.child(0).textContent).toBe('Zero, written by a collaborator');
    await act(async () => {
      calls[0].resolve(media('m1'));
      await done;
    });
    expect(images(editor)).toEqual([{ src: '/api/media/m1', alt: 'pic', before: 'One' }]);
  });

  it('refuses an SVG by name without uploading it, shows a 413 with the server reason, still adds the rest; alerts dismiss', async () => {
    const editor = collabEditor(undefined, '<p>Text</p>');
    const { upload, calls } = scriptedUploader();
    render(<Harness editor={editor} upload={upload} />);
    let done!: Promise<void>;
    act(() => {
      done = api().uploadFiles(
        [new File(['<svg/>'], 'photo.svg', { type: 'image/svg+xml' }), png('huge.png'), png('ok.png')],
        editor.state.doc.content.size,
      );
    });
    expect(calls.map((c) => c.file.name)).toEqual(['huge.png', 'ok.png']);
    await act(async () => {
      calls[0].reject(new ApiError(413, 'too_large', 'The file is larger than 10 MiB.'));
      calls[1].resolve(media('m-ok'));
      await done;
    });
    const alerts = screen.getAllByRole('alert').map((a) => a.textContent);
    expect(alerts).toEqual([
      'photo.svg was not added: only PNG, JPEG, GIF and WebP images can be uploaded.',
      'huge.png was not added: the file is larger than 10 MiB.',
    ]);
    expect(images(editor)).toEqual([{ src: '/api/media/m-ok', alt: 'ok', before: 'Text' }]);
    expect(editor.state.doc.firstChild?.textContent).toBe('Text');
    await userEvent.click(screen.getByRole('button', { name: 'Dismiss the message about photo.svg' }));
    expect(screen.getAllByRole('alert').map((a) => a.textContent)).toEqual(['huge.png was not added: the file is larger than 10 MiB.']);
  });

  it('does nothing in a read-only editor, and inserts nothing when the editor became read-only during the upload', async () => {
    const editor = collabEditor(undefined, '<p>Text</p>');
    const { upload, calls } = scriptedUploader();
    render(<Harness editor={editor} upload={upload} />);
    editor.setEditable(false);
    await act(() => api().uploadFiles([png()], 1));
    expect(upload).not.toHaveBeenCalled();

    editor.setEditable(true);
    let done!: Promise<void>;
    act(() => {
      done = api().uploadFiles([png('late.png')], 1);
    });
    editor.setEditable(false);
    await act(async () => {
      calls[0].resolve(media('m1'));
      await done;
    });
    expect(images(editor)).toEqual([]);
    expect(screen.getByRole('alert')).toHaveTextContent('late.png was not added: you can no longer edit this document.');
  });
});

describe('useUploads while suggesting', () => {
  it('refuses images (a block cannot be a suggestion), also when suggesting was switched on during the upload', async () => {
    const editor = collabEditor(undefined, '<p>Text</p>');
    const { upload, calls } = scriptedUploader();
    render(<Harness editor={editor} upload={upload} />);
    act(() => setSuggesting(editor, true));
    await act(() => api().uploadFiles([png('s.png')], 1));
    expect(upload).not.toHaveBeenCalled();
    expect(screen.getByRole('alert')).toHaveTextContent('s.png was not added: images cannot be added as a suggestion. Switch off Suggesting to add it.');

    act(() => setSuggesting(editor, false));
    let done!: Promise<void>;
    act(() => {
      done = api().uploadFiles([png('t.png')], 1);
    });
    act(() => setSuggesting(editor, true));
    await act(async () => {
      calls[0].resolve(media('m1'));
      await done;
    });
    expect(images(editor)).toEqual([]);
    expect(screen.getAllByRole('alert')[1]).toHaveTextContent('t.png was not added: images cannot be added as a suggestion.');
  });
});

describe('paste and drop handlers', () => {
  const fakeEvent = <T,>(data: Partial<T>) => ({ preventDefault: vi.fn(), ...data }) as unknown as T & { preventDefault: ReturnType<typeof vi.fn> };

  it('a paste of image files replaces the selection and hands the files over; other pastes are left alone', () => {
    const editor = collabEditor(undefined, '<p>Hello world</p>');
    const onFiles = vi.fn();
    const h = mediaHandlers(() => onFiles);
    editor.commands.setTextSelection({ from: 7, to: 12 }); // "world"
    const file = png('clip.png');
    const paste = fakeEvent<ClipboardEvent>({ clipboardData: { files: [file] } as unknown as DataTransfer });
    expect(h.handlePaste(editor.view, paste)).toBe(true);
    expect(paste.preventDefault).toHaveBeenCalled();
    expect(editor.state.doc.textContent).toBe('Hello ');
    expect(onFiles).toHaveBeenCalledWith([file], 7);

    const text = fakeEvent<ClipboardEvent>({ clipboardData: { files: [] } as unknown as DataTransfer });
    expect(h.handlePaste(editor.view, text)).toBe(false);
    const pdf = fakeEvent<ClipboardEvent>({
      clipboardData: { files: [new File(['x'], 'a.pdf', { type: 'application/pdf' })] } as unknown as DataTransfer,
    });
    expect(h.handlePaste(editor.view, pdf)).toBe(false);
    expect(onFiles).toHaveBeenCalledTimes(1);
  });

  it('a drop of image files goes to the position under the pointer; a move inside the editor is left alone', () => {
    const editor = collabEditor(undefined, '<p>Hello world</p>');
    const onFiles = vi.fn();
    const h = mediaHandlers(() => onFiles);
    const posAtCoords = vi.spyOn(editor.view, 'posAtCoords').mockReturnValue({ pos: 4, inside: -1 });
    const files = [png('a.png'), png('b.png')];
    const drop = fakeEvent<DragEvent>({ clientX: 30, clientY: 40, dataTransfer: { files } as unknown as DataTransfer });
    expect(h.handleDrop(editor.view, drop, null, false)).toBe(true);
    expect(posAtCoords).toHaveBeenCalledWith({ left: 30, top: 40 });
    expect(onFiles).toHaveBeenCalledWith(files, 4);
    expect(h.handleDrop(editor.view, drop, null, true)).toBe(false);
    expect(onFiles).toHaveBeenCalledTimes(1);
  });
});
