/**
 * HTML allow-listing for version previews, search snippet parsing, link normalising and tag parsing.
 */
import { describe, expect, it } from 'vitest';
import { normalizeHref } from '../features/editor/LinkDialog';
import { parseSnippet, sanitizeHtml } from '../lib/sanitize';
import { parseTags } from '../features/documents/tags';

describe('parseSnippet', () => {
  it('keeps only <mark> as markup and unescapes the rest as text', () => {
    const parts = parseSnippet('a &lt;script&gt; <mark>quick</mark> fox &amp; <mark>dog</mark>');
    expect(parts).toEqual([
      { mark: false, text: 'a <script> ' },
      { mark: true, text: 'quick' },
      { mark: false, text: ' fox & ' },
      { mark: true, text: 'dog' },
    ]);
  });
});

describe('sanitizeHtml', () => {
  it('drops scripts, handlers and unsafe links but keeps formatting', () => {
    const out = sanitizeHtml(
      '<h2 onclick="x()">Title</h2><p>Hi <strong>there</strong><script>alert(1)</script>' +
        '<a href="javascript:alert(1)">bad</a> <a href="https://ok.example">ok</a><img src=x onerror=alert(1)></p>',
    );
    expect(out).toContain('<h2>Title</h2>');
    expect(out).toContain('<strong>there</strong>');
    expect(out).not.toContain('script');
    expect(out).not.toContain('onclick');
    expect(out).not.toContain('onerror');
    expect(out).not.toContain('javascript:');
    expect(out).toContain('href="https://ok.example"');
  });
});

describe('sanitizeHtml: tables and images', () => {
  it('keeps tables (wrapped to scroll) with numeric spans, and only this server\'s media images', () => {
    const out = sanitizeHtml(
      '<table style="x"><tbody><tr><th colspan="2" onclick="x()">H</th></tr><tr><td rowspan="x">a</td><td>b</td></tr></tbody></table>' +
        '<img src="/api/media/abc-123" alt="A cat" onerror="x()"><img src="https://evil.example/t.png" alt="t"><img src="data:image/png;base64,AA" alt="d">',
    );
    expect(out).toContain('<div class="table-scroll"><table><tbody><tr><th colspan="2">H</th></tr><tr><td>a</td><td>b</td></tr></tbody></table></div>');
    expect(out).toContain('<img src="/api/media/abc-123" alt="A cat">');
    expect(out).not.toContain('evil');
    expect(out).not.toContain('data:');
    expect(out).not.toContain('onerror');
    expect(out).not.toContain('style');
  });
});

describe('sanitizeHtml: task lists', () => {
  it('keeps the task list marker and each item\'s checked state, not the inputs or other attributes', () => {
    const out = sanitizeHtml(
      '<ul data-type="taskList" class="x"><li data-type="taskItem" data-checked="true"><label><input type="checkbox" checked></label><div><p>Done</p></div></li>' +
        '<li data-checked="maybe"><p>Odd</p></li></ul><ul data-type="other"><li>b</li></ul>',
    );
    expect(out).toBe('<ul data-type="taskList"><li data-checked="true"><p>Done</p></li><li><p>Odd</p></li></ul><ul><li>b</li></ul>');
  });
});

describe('links and tags', () => {
  it('normalizes link addresses and rejects dangerous schemes', () => {
    expect(normalizeHref('example.com')).toBe('https://example.com');
    expect(normalizeHref('http://a.b')).toBe('http://a.b');
    expect(normalizeHref('mailto:x@y.z')).toBe('mailto:x@y.z');
    expect(normalizeHref('javascript:alert(1)')).toBeNull();
    expect(normalizeHref('  ')).toBeNull();
  });

  it('parses comma separated tags, unique and trimmed', () => {
    expect(parseTags(' a, b ,a,, c')).toEqual(['a', 'b', 'c']);
    expect(parseTags('x'.repeat(80))[0]).toHaveLength(50);
  });
});
