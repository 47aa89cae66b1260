/** A comment's text with `@mentions` emphasised — rendered as React text only, never as HTML. */
import { splitMentions } from './mentions';

export function CommentBody({ body }: { body: string }) {
  return (
    <p className="comment-body">
      {splitMentions(body).map((p, i) =>
        p.kind === 'mention' ? (
          <span key={i} className="mention">
            @{p.username}
          </span>
        ) : (
          <span key={i}>{p.text}</span>
        ),
      )}
    </p>
  );
}
