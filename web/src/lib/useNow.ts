/**
 * The current time as a hook, refreshed periodically.
 */
import { useEffect, useState } from 'react';

/** Current time, refreshed every `intervalMs` so relative times stay fresh. */
export function useNow(intervalMs = 30_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const t = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}
