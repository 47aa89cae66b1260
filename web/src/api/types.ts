/**
 * Types of the REST API's requests and answers (documents, versions, members, search, diff).
 */
export type DocStatus = 'draft' | 'review' | 'published' | 'archived';
export const DOC_STATUSES: DocStatus[] = ['draft', 'review', 'published', 'archived'];
export type Role = 'owner' | 'editor' | 'viewer';
export const ROLES: Role[] = ['owner', 'editor', 'viewer'];

export interface User {
  id: string;
  username: string;
  email?: string;
  created_at?: string;
}

export interface LoginResponse {
  token: string;
  user: User;
  csrf_token?: string;
}

export interface QuireDocument {
  id: string;
  title: string;
  status: DocStatus;
  tags: string[];
  owner_id: string;
  owner_username?: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  last_edited_by?: string | null;
  last_edited_by_username?: string | null;
  last_edited_at?: string | null;
  role: Role;
}

export interface DocumentList {
  items: QuireDocument[];
  total: number;
  limit: number;
  offset: number;
}

export interface ListQuery {
  status?: DocStatus | '';
  tag?: string;
  owner?: string;
  q?: string;
  limit?: number;
  offset?: number;
  sort?: 'updated_at' | 'created_at' | 'title';
  order?: 'asc' | 'desc';
}

export interface CreateDocumentInput {
  title: string;
  body?: string;
  body_format?: 'markdown' | 'html';
  tags?: string[];
  status?: DocStatus;
}

export interface MetadataPatch {
  title?: string;
  status?: DocStatus;
  tags?: string[];
}

export interface Member {
  user_id: string;
  username: string;
  role: Role;
}

export interface UserSummary {
  id: string;
  username: string;
}

export interface Version {
  number: number;
  label: string;
  created_by?: string | null;
  created_by_username?: string | null;
  created_at: string;
  auto: boolean;
}

export interface VersionContent extends Version {
  format: string;
  content: string;
}

export type DiffOp = 'equal' | 'insert' | 'delete' | 'modify';
export interface DiffWord {
  op: 'equal' | 'insert' | 'delete';
  text: string;
}
export interface DiffBlock {
  op: DiffOp;
  words: DiffWord[];
}
export interface DiffResult {
  from: unknown;
  to: unknown;
  blocks: DiffBlock[];
  stats: { inserted_words: number; deleted_words: number; blocks_changed: number };
  unified?: string;
}

export interface RestoreResult {
  restored_from: number;
  backup_version: number;
}

export interface PresenceUser {
  id: string;
  username: string;
  connections: number;
  last_seen: string;
}

export interface SearchHit {
  document: QuireDocument;
  snippet: string;
  score: number;
}

export interface SearchResult {
  items: SearchHit[];
  total: number;
}
