/**
 * Avatars of the people currently in the document, with an accessible summary.
 */
import type { AwarenessUser } from '../../collab/session';
import { Avatar } from '../../ui/Avatar';

const MAX_SHOWN = 5;

export function PresenceBar({ users }: { users: AwarenessUser[] }) {
  const names = users.map((u) => (u.self ? `${u.name} (you)` : u.name));
  const label = `${users.length} ${users.length === 1 ? 'person' : 'people'} here: ${names.join(', ')}`;
  const shown = users.slice(0, MAX_SHOWN);
  const extra = users.length - shown.length;
  return (
    <div className="presence" role="group" aria-label={label} data-testid="presence-bar" data-count={users.length}>
      <ul className="presence-avatars">
        {shown.map((u) => (
          <li key={u.clientId} data-testid="presence-user" data-username={u.name}>
            <Avatar name={u.name} color={u.color} label={u.self ? `${u.name} (you)` : u.name} />
          </li>
        ))}
        {extra > 0 && (
          <li>
            <span className="avatar avatar-md avatar-more" title={names.slice(MAX_SHOWN).join(', ')}>
              +{extra}
            </span>
          </li>
        )}
      </ul>
      <span className="presence-count" aria-hidden="true">
        {users.length}
      </span>
    </div>
  );
}
