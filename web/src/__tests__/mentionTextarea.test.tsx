/** The mention autocomplete keeps the caret where the user types, even when they type fast. */
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { MentionTextarea } from '../features/comments/MentionTextarea';

function Harness() {
  const [value, setValue] = useState('');
  return <MentionTextarea value={value} onChange={setValue} usernames={['alice', 'bob']} label="Reply" testId="reply" />;
}

/** Types one character at the caret the way a browser would, synchronously. */
function typeChar(el: HTMLTextAreaElement, ch: string) {
  const at = el.selectionStart ?? el.value.length;
  const next = el.value.slice(0, at) + ch + el.value.slice(el.selectionEnd ?? at);
  fireEvent.change(el, { target: { value: next, selectionStart: at + 1, selectionEnd: at + 1 } });
}

describe('MentionTextarea', () => {
  it('a key typed right after choosing a mention lands after the mention', async () => {
    render(<Harness />);
    const el = screen.getByTestId('reply') as HTMLTextAreaElement;
    for (const ch of 'Agreed @al') typeChar(el, ch);
    expect(screen.getByTestId('mention-list').textContent).toBe('@alice');
    fireEvent.keyDown(el, { key: 'Enter' });
    // the first key comes before the next frame, the others after it
    typeChar(el, 'i');
    await new Promise((r) => setTimeout(r, 50));
    for (const ch of 't is fine') typeChar(el, ch);
    expect(el.value).toBe('Agreed @alice it is fine');
  });
});
