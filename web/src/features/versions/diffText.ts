/**
 * Spacing of diff words for display.
 */
import type { DiffWord } from '../../api/types';

/**
 * Whether word tokens carry their own whitespace. Servers either send words
 * without spaces (we join with " ") or tokens that include whitespace (join as is).
 */
export function tokensCarrySpace(words: DiffWord[]): boolean {
  return words.some((w) => /^\s|\s$/.test(w.text) || w.text === '');
}

/** Words with the separator to place after each (none after the last). */
export function spacedWords(words: DiffWord[], carry = tokensCarrySpace(words)): { word: DiffWord; sep: string }[] {
  return words.map((word, i) => ({ word, sep: carry || i === words.length - 1 ? '' : ' ' }));
}
