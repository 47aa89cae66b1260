/**
 * The share dialog: who has access to a document and with which role (kept live by `members` events); the
 * owner adds people by username (with suggestions), changes roles and removes people.
 */
import { useEffect, useId, useState, type FormEvent } from 'react';
import { api } from '../../api/endpoints';
import { errorMessage } from '../../api/errorMessage';
import type { Member, Role } from '../../api/types';
import { useDebounced } from '../../lib/useDebounced';
import { useRequest } from '../../lib/useRequest';
import { Alert } from '../../ui/Alert';
import { Avatar } from '../../ui/Avatar';
import { Modal } from '../../ui/Modal';

interface Props {
  docId: string;
  title: string;
  canManage: boolean;
  currentUsername: string;
  /** The member list from the latest live `members` event, newer than what was loaded. */
  liveMembers?: Member[] | null;
  onClose: () => void;
}

const ROLE_LABEL: Record<Role, string> = {
  owner: 'Owner',
  editor: 'Can edit',
  commenter: 'Can comment',
  viewer: 'Can view',
};

export function ShareDialog({ docId, title, canManage, currentUsername, liveMembers, onClose }: Props) {
  const memberList = useRequest((signal) => api.listMembers(docId, signal).then((r) => r.members), [docId]);
  const { setData: setMembers } = memberList;
  useEffect(() => {
    if (liveMembers) setMembers(liveMembers);
  }, [liveMembers, setMembers]);
  const members = memberList.data ?? null;
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [busy, setBusy] = useState(false);
  const q = useDebounced(username.trim(), 200);
  const listId = useId();

  // suggestions are a convenience: a failed lookup just shows none
  const suggestionList = useRequest(
    canManage && q.length >= 1 ? (signal) => api.searchUsers(q, signal).then((r) => r.items) : null,
    [q, canManage],
  );
  const suggestions = suggestionList.data ?? [];

  const shownError =
    error ?? (memberList.error ? errorMessage(memberList.error, { fallback: 'Could not load members.' }) : null);

  const run = async (fn: () => Promise<unknown>, ok: string, notFound = 'That person no longer exists.') => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await fn();
      setNotice(ok);
      await memberList.reload();
      return true;
    } catch (e) {
      setError(errorMessage(e, { fallback: 'Something went wrong.', byStatus: { 404: notFound } }));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const add = async (e: FormEvent) => {
    e.preventDefault();
    const name = username.trim();
    if (!name) return;
    const done = `${name} can now ${role === 'viewer' ? 'view' : role === 'commenter' ? 'comment on' : 'edit'} this document.`;
    if (await run(() => api.setMember(docId, name, role), done, `No user named “${name}” exists. Check the spelling.`)) {
      setUsername('');
    }
  };

  return (
    <Modal title={`Share “${title || 'Untitled'}”`} onClose={onClose} testId="share-dialog">
      {canManage && (
        <form className="share-add" onSubmit={add} aria-label="Add a person">
          <div className="field grow">
            <label htmlFor="share-username">Add people by username</label>
            <input
              id="share-username"
              data-autofocus
              list={listId}
              autoComplete="off"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              placeholder="username"
            />
            <datalist id={listId}>
              {suggestions
                .filter((s) => !members?.some((m) => m.username === s.username))
                .map((s) => (
                  <option key={s.id} value={s.username} />
                ))}
            </datalist>
          </div>
          <div className="field">
            <label htmlFor="share-role">Role</label>
            <select id="share-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              <option value="editor">Can edit</option>
              <option value="commenter">Can comment</option>
              <option value="viewer">Can view</option>
              <option value="owner">Owner</option>
            </select>
          </div>
          <button type="submit" className="btn btn-primary" disabled={busy || !username.trim()}>
            Share
          </button>
        </form>
      )}
      {shownError && <Alert>{shownError}</Alert>}
      {notice && <Alert kind="success">{notice}</Alert>}
      <h3 className="subheading">People with access</h3>
      {members === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <ul className="member-list" data-testid="member-list">
          {members.map((m) => (
            <li key={m.user_id} className="member" data-testid="member" data-username={m.username}>
              <Avatar name={m.username} />
              <span className="member-name">
                {m.username}
                {m.username === currentUsername && <span className="muted"> (you)</span>}
              </span>
              {canManage && m.username !== currentUsername ? (
                <>
                  <label className="visually-hidden" htmlFor={`role-${m.user_id}`}>
                    Role for {m.username}
                  </label>
                  <select
                    id={`role-${m.user_id}`}
                    value={m.role}
                    disabled={busy}
                    onChange={(e) =>
                      void run(() => api.setMember(docId, m.username, e.target.value as Role), `Updated ${m.username}'s role.`)
                    }
                  >
                    <option value="owner">Owner</option>
                    <option value="editor">Can edit</option>
                    <option value="commenter">Can comment</option>
                    <option value="viewer">Can view</option>
                  </select>
                  <button
                    type="button"
                    className="btn btn-icon btn-danger-ghost"
                    aria-label={`Remove ${m.username}`}
                    disabled={busy}
                    onClick={() => void run(() => api.removeMember(docId, m.username), `Removed ${m.username}.`)}
                  >
                    <span aria-hidden="true">×</span>
                  </button>
                </>
              ) : (
                <span className="role-chip">{ROLE_LABEL[m.role]}</span>
              )}
            </li>
          ))}
        </ul>
      )}
      {!canManage && <p className="muted">Only the owner can change who has access.</p>}
    </Modal>
  );
}
