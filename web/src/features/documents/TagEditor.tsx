/**
 * The tag editor in the document header: shows tags, adds comma-separated ones, removes them.
 */
import { useState } from 'react';
import { MAX_TAGS, MAX_TAG_LEN, parseTags } from './tags';

interface Props {
  tags: string[];
  readOnly: boolean;
  onChange: (tags: string[]) => void;
}

export function TagEditor({ tags, readOnly, onChange }: Props) {
  const [input, setInput] = useState('');
  const add = () => {
    const added = parseTags(input).filter((t) => !tags.includes(t));
    setInput('');
    if (added.length) onChange([...tags, ...added].slice(0, MAX_TAGS));
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
                onClick={() => onChange(tags.filter((x) => x !== t))}
              >
                ×
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
            if (v.endsWith(',')) {
              setInput(v);
              setTimeout(add, 0);
            } else setInput(v);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            } else if (e.key === 'Backspace' && !input && tags.length) {
              onChange(tags.slice(0, -1));
            }
          }}
          onBlur={() => input.trim() && add()}
        />
      )}
    </div>
  );
}
