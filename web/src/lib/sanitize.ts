/**
 * Making server HTML safe to show: the allow-list for version previews and search snippet parsing.
 */
const ALLOWED_TAGS = new Set([
  'P', 'BR', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'STRONG', 'B', 'EM', 'I', 'S', 'DEL', 'INS', 'U',
  'CODE', 'PRE', 'BLOCKQUOTE', 'UL', 'OL', 'LI', 'A', 'HR', 'MARK', 'SPAN',
  'TABLE', 'THEAD', 'TBODY', 'TR', 'TH', 'TD', 'IMG',
]);

/** Images are shown only from this server's media (`/api/media/{id}`). */
const MEDIA_SRC = /^\/api\/media\/[A-Za-z0-9_-]+$/;

function safeHref(href: string): string | null {
  const h = href.trim();
  if (/^(https?:|mailto:)/i.test(h) || h.startsWith('/') || h.startsWith('#')) return h;
  return null;
}

/**
 * Keep only a small allow-list of formatting elements from server-rendered HTML
 * (version previews). Everything else is unwrapped to its text; scripts and
 * styles are dropped entirely; no attributes survive except a safe `href`, an image's `src` (only
 * this server's `/api/media/…`, else the image is dropped) and `alt`, and a cell's numeric
 * `colspan`/`rowspan`, and a task list's `data-type="taskList"` with its items' `data-checked` (the
 * checkboxes themselves are drawn by CSS). A table is wrapped in a horizontally scrolling `div.table-scroll`.
 */
export function sanitizeHtml(html: string): string {
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const clean = (node: Node, into: Node) => {
    node.childNodes.forEach((child) => {
      if (child.nodeType === Node.TEXT_NODE) {
        into.appendChild(document.createTextNode(child.textContent ?? ''));
        return;
      }
      if (child.nodeType !== Node.ELEMENT_NODE) return;
      const el = child as Element;
      const tag = el.tagName.toUpperCase();
      if (tag === 'SCRIPT' || tag === 'STYLE' || tag === 'IFRAME' || tag === 'OBJECT') return;
      if (!ALLOWED_TAGS.has(tag)) {
        clean(el, into);
        return;
      }
      if (tag === 'IMG') {
        const src = el.getAttribute('src') ?? '';
        if (!MEDIA_SRC.test(src)) return;
        const img = document.createElement('img');
        img.setAttribute('src', src);
        img.setAttribute('alt', el.getAttribute('alt') ?? '');
        into.appendChild(img);
        return;
      }
      const out = document.createElement(tag.toLowerCase());
      if (tag === 'TH' || tag === 'TD') {
        for (const a of ['colspan', 'rowspan']) {
          const v = el.getAttribute(a);
          if (v && /^[1-9][0-9]{0,2}$/.test(v)) out.setAttribute(a, v);
        }
      }
      if (tag === 'UL' && el.getAttribute('data-type') === 'taskList') out.setAttribute('data-type', 'taskList');
      if (tag === 'LI') {
        const checked = el.getAttribute('data-checked');
        if (checked === 'true' || checked === 'false') out.setAttribute('data-checked', checked);
      }
      if (tag === 'TABLE') {
        const scroll = document.createElement('div');
        scroll.className = 'table-scroll';
        scroll.appendChild(out);
        clean(el, out);
        into.appendChild(scroll);
        return;
      }
      if (tag === 'A') {
        const href = safeHref(el.getAttribute('href') ?? '');
        if (href) out.setAttribute('href', href);
        out.setAttribute('rel', 'noopener noreferrer nofollow');
        out.setAttribute('target', '_blank');
      }
      clean(el, out);
      into.appendChild(out);
    });
  };
  const container = document.createElement('div');
  clean(doc.body, container);
  return container.innerHTML;
}

export type SnippetPart = { mark: boolean; text: string };

function unescapeEntities(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#0*39;|&#x0*27;|&apos;/gi, "'")
    .replace(/&amp;/g, '&');
}

/**
 * A search snippet is HTML-escaped text where only <mark>…</mark> is markup.
 * Split it into parts so React renders the text (escaped again) and the marks.
 */
export function parseSnippet(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  const re = /<mark>([\s\S]*?)<\/mark>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(snippet))) {
    if (m.index > last) parts.push({ mark: false, text: unescapeEntities(snippet.slice(last, m.index)) });
    parts.push({ mark: true, text: unescapeEntities(m[1]) });
    last = m.index + m[0].length;
  }
  if (last < snippet.length) parts.push({ mark: false, text: unescapeEntities(snippet.slice(last)) });
  return parts;
}
