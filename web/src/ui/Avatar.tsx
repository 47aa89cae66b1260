/**
 * A round initials avatar in the user's colour; decorative unless given a label.
 */
import { colorFor, initials } from '../lib/colors';

interface Props {
  name: string;
  color?: string;
  size?: 'sm' | 'md';
  /** Visible label for screen readers; avatars are decorative by default. */
  label?: string;
}

export function Avatar({ name, color, size = 'md', label }: Props) {
  return (
    <span
      className={`avatar avatar-${size}`}
      style={{ backgroundColor: color ?? colorFor(name) }}
      title={label ?? name}
      role={label ? 'img' : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : true}
    >
      {initials(name)}
    </span>
  );
}
