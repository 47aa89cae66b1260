/**
 * The tag editor in the document header: shows tags (live), adds comma-separated ones, removes them; a tag
 * being typed is never touched by a live update and is saved against the version its typing started from.
 */
import { useRef, useState } from 'react';
import { MAX_TAGS, MAX_TAG_LEN, parseTags } from './tags';

interface Props {
  tags: string[];
  /** The document version shown: the base of an edit that starts now. */
  version: number;
  readOnly: boolean;
  onChange: (tags: string[], baseVersion: number) => void;
}

export function TagEditor({ tags, version, readOnly, onChange }: Props) {
  const [input, setInput] = useState('');
  const typingFrom = useRef<number | null>(null);
  const add = (text: string) => {
    const added = parseTags(text).filter((t) => !tags.includes(t));
    const base = typingFrom.current ?? version;
    typingFrom.current = null;
    setInput('');
    if (added.length) onChange([...tags, ...added].slice(0, MAX_TAGS), base);
  };
  return (
    <div className="tag-editor" data-testid="tag-editor">
      <ul className="tag-list" aria-label="Tags">
        {tags.map((t) => (
          <li key={t} className="tag">
            #{t}
            {!readOnly && (
              <button
                type="button"
                className="tag-remove"
                aria-label={`Remove tag ${t}`}
                onClick={() => onChange(tags.filter((x) => x !== t), version)}
              >
                <span aria-hidden="true">×</span>
              </button>
            )}
          </li>
        ))}
      </ul>
      {!readOnly && tags.length < MAX_TAGS && (
        <input
          className="tag-input"
          aria-label="Add tag"
          placeholder="Add tag…"
          maxLength={MAX_TAG_LEN * 3}
          value={input}
          onChange={(e) => {
            const v = e.target.value;
            if (typingFrom.current === null) typingFrom.current = version;
            if (v.endsWith(',')) add(v);
            else setInput(v);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add(input);
            } else if (e.key === 'Backspace' && !input && tags.length) {
              onChange(tags.slice(0, -1), version);
            }
          }}
          onBlur={() => {
            if (input.trim()) add(input);
            else typingFrom.current = null;
          }}
        />
      )}
    </div>
  );
}
