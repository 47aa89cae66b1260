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
