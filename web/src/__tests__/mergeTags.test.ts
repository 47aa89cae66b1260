/**
 * mergeTags: the tag union for "Keep mine" after a conflict.
 */
import { describe, expect, it } from 'vitest';
import { mergeTags } from '../features/documents/mergeTags';

describe('mergeTags', () => {
  it('is the union of both sides without a base, mine first, no duplicates', () => {
    expect(mergeTags(['a', 'b'], ['b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(mergeTags([], ['x'])).toEqual(['x']);
  });

  it('keeps what either side added and drops only what I removed', () => {
    // base a,b; I removed b and added m; they added t
    expect(mergeTags(['a', 'm'], ['a', 'b', 't'], ['a', 'b'])).toEqual(['a', 'm', 't']);
  });

  it('keeps tags they added even when I removed everything', () => {
    expect(mergeTags([], ['a', 'new'], ['a'])).toEqual(['new']);
  });
});
