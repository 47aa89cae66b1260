/**
 * A comment textarea with `@mention` autocomplete from the document's members: typing `@` and
 * letters lists matching usernames (a listbox); ↑/↓ choose, Enter/Tab or a click inserts
 * `@username `, Escape closes the list. Ctrl+Enter submits the form.
 */
import { useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { filterMentions, insertMention, mentionAt, type MentionQuery } from './mentions';

interface Props {
  value: string;
  onChange: (value: string) => void;
  usernames: readonly string[];
  label: string;
  placeholder?: string;
  disabled?: boolean;
  autoFocus?: boolean;
  testId?: string;
  onSubmit?: () => void;
  onEscape?: () => void;
}

export function MentionTextarea({ value, onChange, usernames, label, placeholder, disabled, autoFocus, testId, onSubmit, onEscape }: Props) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const listId = useId();
  const [mention, setMention] = useState<MentionQuery | null>(null);
  const [active, setActive] = useState(0);
  // The caret to put after an inserted mention, applied right after React has written the new
  // value (not in a later frame: a key typed in between would land before the caret).
  const pendingCaret = useRef<number | null>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    const caret = pendingCaret.current;
    if (el && caret !== null && el.value === value) {
      pendingCaret.current = null;
      el.setSelectionRange(caret, caret);
    }
  }, [value]);
  const matches = mention ? filterMentions(usernames, mention.query) : [];
  const open = matches.length > 0;

  const update = (text: string, caret: number) => {
    const m = mentionAt(text, caret);
    setMention(m);
    setActive(0);
  };

  const choose = (username: string) => {
    const el = ref.current;
    if (!el || !mention) return;
    const caret = el.selectionStart ?? value.length;
    const next = insertMention(value, caret, mention, username);
    pendingCaret.current = next.caret;
    onChange(next.text);
    setMention(null);
    el.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (open) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const d = e.key === 'ArrowDown' ? 1 : -1;
        setActive((a) => (a + d + matches.length) % matches.length);
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        choose(matches[active] ?? matches[0]!);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        setMention(null);
        return;
      }
    }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && onSubmit) {
      e.preventDefault();
      onSubmit();
    } else if (e.key === 'Escape' && onEscape) {
      e.preventDefault();
      onEscape();
    }
  };

  return (
    <div className="mention-field">
      <textarea
        ref={ref}
        className="input comment-input"
        aria-label={label}
        placeholder={placeholder}
        value={value}
        disabled={disabled}
        autoFocus={autoFocus}
        rows={2}
        maxLength={10_000}
        data-testid={testId}
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={open ? listId : undefined}
        aria-activedescendant={open ? `${listId}-${active}` : undefined}
        onChange={(e) => {
          onChange(e.target.value);
          update(e.target.value, e.target.selectionStart ?? e.target.value.length);
        }}
        onKeyDown={onKeyDown}
        onBlur={() => setTimeout(() => setMention(null), 150)}
      />
      {open && (
        <ul className="mention-list" role="listbox" id={listId} aria-label="Mention someone" data-testid="mention-list">
          {matches.map((u, i) => (
            <li
              key={u}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'is-active' : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(u);
              }}
            >
              @{u}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
