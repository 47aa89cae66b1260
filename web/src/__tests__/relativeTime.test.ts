/**
 * relativeTime: "just now", minutes, hours, days and dates; untilTime: the same ahead of now.
 */
import { describe, expect, it } from 'vitest';
import { relativeTime, untilTime } from '../lib/relativeTime';

const now = new Date('2026-03-10T12:00:00Z');
const ago = (secs: number) => new Date(now.getTime() - secs * 1000).toISOString();

describe('relativeTime', () => {
  it('formats recent times', () => {
    expect(relativeTime(ago(5), now)).toBe('just now');
    expect(relativeTime(ago(90), now)).toBe('2 min ago');
    expect(relativeTime(ago(5 * 60), now)).toBe('5 min ago');
    expect(relativeTime(ago(59 * 60), now)).toBe('59 min ago');
    expect(relativeTime(ago(3 * 3600 + 100), now)).toBe('3 h ago');
    expect(relativeTime(ago(30 * 3600), now)).toBe('yesterday');
    expect(relativeTime(ago(4 * 86400), now)).toBe('4 days ago');
  });

  it('falls back to a date for old times and tolerates bad input', () => {
    expect(relativeTime('2026-01-02T10:00:00Z', now)).toBe('Jan 2');
    expect(relativeTime('2024-01-02T10:00:00Z', now)).toBe('Jan 2, 2024');
    expect(relativeTime(null, now)).toBe('');
    expect(relativeTime('not a date', now)).toBe('');
    expect(relativeTime(new Date(now.getTime() + 10_000).toISOString(), now)).toBe('just now');
  });
});

describe('untilTime', () => {
  it('formats times ahead and says "now" for due ones', () => {
    expect(untilTime(ago(-20), now)).toBe('in 20 s');
    expect(untilTime(ago(-5 * 60), now)).toBe('in 5 min');
    expect(untilTime(ago(-3 * 3600 - 100), now)).toBe('in 3 h');
    expect(untilTime(ago(-3 * 86400), now)).toBe('Mar 13');
    expect(untilTime(ago(0), now)).toBe('now');
    expect(untilTime(ago(30), now)).toBe('now');
    expect(untilTime(null, now)).toBe('');
  });
});
