/**
 * Avatars of the people currently in the document (one per person, "×2" for two tabs), with an accessible summary.
 */
import type { AwarenessUser } from '../../collab/presence';
import { Avatar } from '../../ui/Avatar';

const MAX_SHOWN = 5;

const describe = (u: AwarenessUser): string =>
  `${u.name}${u.self ? ' (you)' : ''}${u.count > 1 ? `, ${u.count} tabs` : ''}`;

export function PresenceBar({ users }: { users: AwarenessUser[] }) {
  const names = users.map(describe);
  const label = `${users.length} ${users.length === 1 ? 'person' : 'people'} here: ${names.join(', ')}`;
  const shown = users.slice(0, MAX_SHOWN);
  const extra = users.length - shown.length;
  return (
    <div className="presence" role="group" aria-label={label} data-testid="presence-bar" data-count={users.length}>
      <ul className="presence-avatars">
        {shown.map((u) => (
          <li key={u.clientId} data-testid="presence-user" data-username={u.name} data-tabs={u.count}>
            <Avatar name={u.name} color={u.color} label={describe(u)} />
            {u.count > 1 && (
              <span className="presence-tabs" aria-hidden="true" data-testid="presence-tabs">
                ×{u.count}
              </span>
            )}
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
    </div>
  );
}
