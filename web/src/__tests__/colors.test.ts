/**
 * User colours and the remote caret / selection rendering: hostile awareness colours are replaced by a safe one.
 */
import { describe, expect, it } from 'vitest';
import { buildExtensions, renderCaret, renderSelection } from '../collab/extensions';
import type { CollabSession } from '../collab/session';
import { DEFAULT_USER_COLOR, hexWithAlpha, safeColor } from '../lib/colors';

const HOSTILE = [
  'red; background:url(//evil)',
  '#fff; background-image: url(https://evil.test/x.png)',
  'url(//evil)',
  'expression(alert(1))',
  'red',
  'rgb(1,2,3)',
  '#12345',
  '#1234567',
  '#ggg',
  ' #123456',
  '#123456\n',
  '',
  null,
  undefined,
  42,
  { toString: () => '#123456' },
];

describe('safeColor', () => {
  it('keeps #rgb, #rrggbb and #rrggbbaa', () => {
    expect(safeColor('#abc')).toBe('#abc');
    expect(safeColor('#B42318')).toBe('#b42318');
    expect(safeColor('#b4231880')).toBe('#b4231880');
  });

  it('replaces anything else by the default', () => {
    for (const v of HOSTILE) expect(safeColor(v), String(v)).toBe(DEFAULT_USER_COLOR);
  });

  it('gives an opaque #rrggbb with an optional alpha', () => {
    expect(hexWithAlpha('#abc', '33')).toBe('#aabbcc33');
    expect(hexWithAlpha('#b4231880', '33')).toBe('#b4231833');
    expect(hexWithAlpha('#b42318')).toBe('#b42318');
    expect(hexWithAlpha('red; background:url(//evil)', '33')).toBe(`${DEFAULT_USER_COLOR}33`);
    expect(hexWithAlpha('#b42318', '; x')).toBe('#b42318');
  });
});

describe('collaborator colours in the editor', () => {
  it('a hostile colour never reaches the selection style', () => {
    for (const color of HOSTILE) {
      const attrs = renderSelection({ name: 'mallory', color });
      expect(attrs.style).toBe(`background-color: ${DEFAULT_USER_COLOR}33`);
    }
    expect(renderSelection({ name: 'bob', color: '#1d4ed8' }).style).toBe('background-color: #1d4ed833');
  });

  it('a hostile colour never reaches the caret style', () => {
    for (const color of HOSTILE) {
      const caret = renderCaret({ name: 'mallory', color });
      expect(caret.getAttribute('style')).not.toMatch(/url|;\s*background|expression/i);
      expect(caret.style.borderColor).toBe('rgb(75, 85, 99)');
    }
  });

  it('the editor uses both renderers', () => {
    const session = { ydoc: {}, provider: {} } as unknown as CollabSession;
    const caret = buildExtensions(session, { name: 'alice', color: '#b42318' }).find((e) => e.name === 'collaborationCaret');
    const options = caret?.options as { render: unknown; selectionRender: unknown };
    expect(options.render).toBe(renderCaret);
    expect(options.selectionRender).toBe(renderSelection);
  });
});
