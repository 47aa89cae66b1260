/** Caret/avatar colours, all with ≥ 4.5:1 contrast against white text. */
export const USER_COLORS = [
  '#b42318', // red
  '#9a4d00', // amber
  '#2f6b1f', // green
  '#0b6b6b', // teal
  '#1d4ed8', // blue
  '#5b3cc4', // violet
  '#a3157b', // magenta
  '#4b5563', // slate
];

/** Colour used when a collaborator announces none, or one that is not allowed. */
export const DEFAULT_USER_COLOR = '#4b5563';

const HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

/**
 * A colour from another client (awareness `user.color`) made safe to put into a
 * `style`: only `#rgb`, `#rrggbb` or `#rrggbbaa` pass, anything else (names,
 * functions, `red; background:url(…)`) becomes the default.
 */
export function safeColor(value: unknown): string {
  return typeof value === 'string' && HEX_COLOR.test(value) ? value.toLowerCase() : DEFAULT_USER_COLOR;
}

/** `safeColor` as opaque `#rrggbb`, with `alpha` (two hex digits) appended if given. */
export function hexWithAlpha(value: unknown, alpha = ''): string {
  const c = safeColor(value);
  const rgb = c.length === 4 ? `#${c[1]}${c[1]}${c[2]}${c[2]}${c[3]}${c[3]}` : c.slice(0, 7);
  return /^[0-9a-f]{2}$/i.test(alpha) ? rgb + alpha.toLowerCase() : rgb;
}

export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export function colorFor(name: string): string {
  return USER_COLORS[hashString(name) % USER_COLORS.length];
}

export function initials(name: string): string {
  const parts = name.trim().split(/[\s._-]+/).filter(Boolean);
  if (parts.length === 0) return '?';
  if (parts.length === 1) return parts[0].slice(0, 2).toUpperCase();
  return (parts[0][0] + parts[1][0]).toUpperCase();
}
