/**
 * A search snippet rendered as text with <mark> highlights, never as raw HTML.
 */
import { parseSnippet } from '../../lib/sanitize';

/** Renders a search snippet: escaped text with <mark> highlights, never raw HTML. */
export function Snippet({ html }: { html: string }) {
  return (
    <p className="snippet">
      {parseSnippet(html).map((p, i) => (p.mark ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </p>
  );
}
