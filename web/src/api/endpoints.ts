/**
 * One typed function per REST endpoint the UI uses (`api.*`).
 */
import { request, setCsrfToken } from './client';
import type {
  CreateDocumentInput,
  DiffResult,
  DocumentList,
  ListQuery,
  LoginResponse,
  Member,
  Anchor,
  QuireNotification,
  Thread,
  ThreadComment,
  MetadataPatch,
  PublishingPatch,
  PresenceUser,
  QuireDocument,
  RestoreResult,
  Role,
  SearchResult,
  User,
  UserSummary,
  Version,
  VersionContent,
} from './types';

const enc = encodeURIComponent;

export const api = {
  register: (username: string, email: string, password: string) =>
    request<User>('/api/auth/register', {
      method: 'POST',
      body: { username, email, password },
      quiet401: true,
    }),

  login: async (username: string, password: string) => {
    const res = await request<LoginResponse>('/api/auth/login', {
      method: 'POST',
      body: { username, password },
      quiet401: true,
    });
    setCsrfToken(res.csrf_token);
    return res;
  },

  logout: async () => {
    try {
      await request<unknown>('/api/auth/logout', { method: 'POST', quiet401: true });
    } finally {
      setCsrfToken(undefined);
    }
  },

  me: (signal?: AbortSignal) => request<User>('/api/auth/me', { quiet401: true, signal }),

  listDocuments: (q: ListQuery, signal?: AbortSignal) =>
    request<DocumentList>('/api/documents', { query: { ...q }, signal }),

  createDocument: (input: CreateDocumentInput) =>
    request<QuireDocument>('/api/documents', { method: 'POST', body: input }),

  getDocument: (id: string, signal?: AbortSignal) => request<QuireDocument>(`/api/documents/${enc(id)}`, { signal }),

  /** PATCH with optimistic locking; rejects with ConflictError on 409. */
  updateDocument: (id: string, patch: MetadataPatch, expectedVersion: number) =>
    request<QuireDocument>(`/api/documents/${enc(id)}`, {
      method: 'PATCH',
      body: { ...patch, expected_version: expectedVersion },
    }),

  /** Make the current state the published revision (editor/owner); returns the document. */
  publish: (id: string, label?: string) =>
    request<QuireDocument>(`/api/documents/${enc(id)}/publish`, {
      method: 'POST',
      body: label ? { label } : {},
    }),

  /** Take the published revision down; returns the document (status draft). */
  unpublish: (id: string) => request<QuireDocument>(`/api/documents/${enc(id)}/unpublish`, { method: 'POST' }),

  /** PATCH the publishing fields with optimistic locking (ConflictError on a version 409, ApiError `duplicate` for a taken slug). */
  updatePublishing: (id: string, patch: PublishingPatch, expectedVersion: number) =>
    request<QuireDocument>(`/api/documents/${enc(id)}`, {
      method: 'PATCH',
      body: { ...patch, expected_version: expectedVersion },
    }),

  deleteDocument: (id: string) =>
    request<unknown>(`/api/documents/${enc(id)}`, { method: 'DELETE' }),

  getContent: (id: string, format: 'text' | 'markdown' | 'html' | 'json') =>
    request<{ format: string; content: unknown }>(`/api/documents/${enc(id)}/content`, {
      query: { format },
    }),

  listMembers: (id: string, signal?: AbortSignal) =>
    request<{ members: Member[] }>(`/api/documents/${enc(id)}/members`, { signal }),

  setMember: (id: string, username: string, role: Role) =>
    request<unknown>(`/api/documents/${enc(id)}/members/${enc(username)}`, {
      method: 'PUT',
      body: { role },
    }),

  removeMember: (id: string, username: string) =>
    request<unknown>(`/api/documents/${enc(id)}/members/${enc(username)}`, { method: 'DELETE' }),

  searchUsers: (q: string, signal?: AbortSignal) =>
    request<{ items: UserSummary[] }>('/api/users', { query: { q }, signal }),

  listVersions: (id: string, signal?: AbortSignal) =>
    request<{ items: Version[] }>(`/api/documents/${enc(id)}/versions`, { signal }),

  saveVersion: (id: string, label: string) =>
    request<Version>(`/api/documents/${enc(id)}/versions`, { method: 'POST', body: { label } }),

  getVersion: (id: string, n: number, signal?: AbortSignal) =>
    request<VersionContent>(`/api/documents/${enc(id)}/versions/${n}`, { query: { format: 'html' }, signal }),

  diff: (id: string, from: number | 'current', to: number | 'current', signal?: AbortSignal) =>
    request<DiffResult>(`/api/documents/${enc(id)}/versions/${from}/diff/${to}`, { signal }),

  restore: (id: string, n: number) =>
    request<RestoreResult>(`/api/documents/${enc(id)}/restore/${n}`, { method: 'POST' }),

  presence: (id: string) =>
    request<{ users: PresenceUser[] }>(`/api/documents/${enc(id)}/presence`),

  listThreads: (id: string, status: 'open' | 'resolved' | 'all' = 'all', signal?: AbortSignal) =>
    request<{ items: Thread[] }>(`/api/documents/${enc(id)}/comments`, { query: { status }, signal }),

  createThread: (id: string, body: string, anchor: Anchor | null, quote: string | null) =>
    request<Thread>(`/api/documents/${enc(id)}/comments`, { method: 'POST', body: { body, anchor, quote } }),

  reply: (id: string, thread: string, body: string) =>
    request<ThreadComment>(`/api/documents/${enc(id)}/comments/${enc(thread)}/replies`, { method: 'POST', body: { body } }),

  setResolved: (id: string, thread: string, resolved: boolean) =>
    request<Thread>(`/api/documents/${enc(id)}/comments/${enc(thread)}`, { method: 'PATCH', body: { resolved } }),

  deleteThread: (id: string, thread: string) =>
    request<unknown>(`/api/documents/${enc(id)}/comments/${enc(thread)}`, { method: 'DELETE' }),

  /** Change a comment's text (its author only); also edits a thread's first comment. */
  editComment: (id: string, thread: string, comment: string, body: string) =>
    request<ThreadComment>(`/api/documents/${enc(id)}/comments/${enc(thread)}/replies/${enc(comment)}`, {
      method: 'PATCH',
      body: { body },
    }),

  deleteComment: (id: string, thread: string, comment: string) =>
    request<unknown>(`/api/documents/${enc(id)}/comments/${enc(thread)}/replies/${enc(comment)}`, { method: 'DELETE' }),

  listNotifications: (signal?: AbortSignal) =>
    request<{ items: QuireNotification[] }>('/api/notifications', { signal }),

  markNotificationsRead: (ids: string[] | 'all') =>
    request<unknown>('/api/notifications/read', { method: 'POST', body: ids === 'all' ? { all: true } : { ids } }),

  search: (q: string, signal?: AbortSignal) =>
    request<SearchResult>('/api/search', { query: { q }, signal }),
};
