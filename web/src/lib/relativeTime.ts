/**
 * Human times: relative ("5 min ago", "in 5 min") and absolute (for tooltips).
 */
const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", or a date. */
export function relativeTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '';
  const then = new Date(iso);
  const t = then.getTime();
  if (Number.isNaN(t)) return '';
  const secs = Math.round((now.getTime() - t) / 1000);
  if (secs < 0) return secs > -60 ? 'just now' : formatDate(then, now);
  if (secs < 45) return 'just now';
  if (secs < HOUR) return `${Math.max(1, Math.round(secs / MINUTE))} min ago`;
  if (secs < DAY) return `${Math.floor(secs / HOUR)} h ago`;
  if (secs < 2 * DAY) return 'yesterday';
  if (secs < 7 * DAY) return `${Math.floor(secs / DAY)} days ago`;
  return formatDate(then, now);
}

/** A time ahead: "now" (due or past), "in 20 s", "in 5 min", "in 3 h", or a date. */
export function untilTime(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return '';
  const then = new Date(iso);
  const t = then.getTime();
  if (Number.isNaN(t)) return '';
  const secs = Math.round((t - now.getTime()) / 1000);
  if (secs <= 0) return 'now';
  if (secs < MINUTE) return `in ${secs} s`;
  if (secs < HOUR) return `in ${Math.round(secs / MINUTE)} min`;
  if (secs < DAY) return `in ${Math.floor(secs / HOUR)} h`;
  return formatDate(then, now);
}

export function formatDate(d: Date, now: Date = new Date()): string {
  const opts: Intl.DateTimeFormatOptions = { month: 'short', day: 'numeric' };
  if (d.getFullYear() !== now.getFullYear()) opts.year = 'numeric';
  return d.toLocaleDateString('en-US', opts);
}

/** Full timestamp for a title/tooltip. */
export function absoluteTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}
