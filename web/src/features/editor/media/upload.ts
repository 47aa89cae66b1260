/**
 * Uploading one image of a document: `POST /api/documents/{id}/media` with the file's raw bytes as the
 * body and its type as `Content-Type` (cookie auth, the CSRF header like every other unsafe call),
 * through XMLHttpRequest so the upload reports its progress. A 201 answers the stored media
 * (`url` is `/api/media/{id}`); anything else rejects with an `ApiError` built from the
 * `{error, message}` body. Also: which files may be uploaded, the image's alt text from the file
 * name, and the sentence shown when a file is refused.
 */
import { ApiError, CSRF_HEADER, NETWORK_MESSAGE, csrfToken, reportUnauthorized } from '../../../api/client';
import { errorMessage } from '../../../api/errorMessage';

/** The image types the server stores. */
export const UPLOAD_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

/** The `accept` of the file picker. */
export const UPLOAD_ACCEPT = UPLOAD_TYPES.join(',');

/** The server's answer to an upload. */
export interface UploadedMedia {
  id: string;
  url: string;
  content_type: string;
  bytes: number;
  width: number | null;
  height: number | null;
}

export interface UploadOptions {
  /** Bytes sent so far and in all (the file's size when the browser does not know the total). */
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
}

export const TYPE_REFUSAL = 'only PNG, JPEG, GIF and WebP images can be uploaded.';

/** True for a file the server accepts by its type. */
export function isUploadable(file: File): boolean {
  return (UPLOAD_TYPES as readonly string[]).includes(file.type.toLowerCase());
}

/** The image files of a paste or drop (any `image/*`: the unsupported ones are refused by name). */
export function imageFiles(data: DataTransfer | null | undefined): File[] {
  if (!data) return [];
  return Array.from(data.files ?? []).filter((f) => f.type.toLowerCase().startsWith('image/'));
}

/** The alt text of an image from its file name: the name without its extension. */
export function altFromName(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** The server's sentence made to follow "… was not added:" (lower-case start unless it is an acronym). */
function asClause(message: string): string {
  const m = message.trim();
  if (!m) return m;
  const lower = /^[A-Z][a-z]/.test(m) ? m[0].toLowerCase() + m.slice(1) : m;
  return /[.!?]$/.test(lower) ? lower : `${lower}.`;
}

/** Why `name` was not added, as one sentence naming the file. */
export function refusalMessage(name: string, e: unknown): string {
  let reason: string;
  if (e instanceof ApiError) {
    switch (e.status) {
      case 415:
        reason = TYPE_REFUSAL;
        break;
      case 413:
        reason = e.message ? asClause(e.message) : 'it is larger than the server accepts.';
        break;
      case 403:
        reason = 'you do not have permission to add images to this document.';
        break;
      case 404:
        reason = 'the document no longer exists.';
        break;
      case 0:
        reason = asClause(e.message || NETWORK_MESSAGE);
        break;
      default:
        reason = asClause(errorMessage(e));
    }
  } else {
    reason = asClause(errorMessage(e));
  }
  return `${name} was not added: ${reason}`;
}

function parse(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Upload `file` to document `docId`; resolves with the stored media, rejects with an `ApiError`. */
export function uploadMedia(docId: string, file: File, opts: UploadOptions = {}): Promise<UploadedMedia> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/documents/${encodeURIComponent(docId)}/media`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    const token = csrfToken();
    if (token) xhr.setRequestHeader(CSRF_HEADER, token);
    xhr.withCredentials = true;
    xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded, e.lengthComputable && e.total > 0 ? e.total : file.size);
    xhr.onload = () => {
      const data = parse(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) {
        const media = data as UploadedMedia | undefined;
        if (media && typeof media.url === 'string') {
          opts.onProgress?.(file.size, file.size);
          resolve(media);
        } else {
          reject(new ApiError(xhr.status, 'bad_response', 'The server gave an unexpected answer.', data));
        }
        return;
      }
      const obj = (data && typeof data === 'object' ? data : {}) as { error?: string; message?: string };
      if (xhr.status === 401) reportUnauthorized();
      reject(new ApiError(xhr.status, obj.error ?? `http_${xhr.status}`, obj.message ?? '', data));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', NETWORK_MESSAGE));
    xhr.onabort = () => reject(new DOMException('The upload was cancelled.', 'AbortError'));
    if (opts.signal) {
      if (opts.signal.aborted) {
        reject(new DOMException('The upload was cancelled.', 'AbortError'));
        return;
      }
      opts.signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(file);
  });
}
