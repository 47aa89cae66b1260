/**
 * DiffView: inserted / deleted words and blocks, with and without whitespace-carrying tokens.
 */
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { DiffResult } from '../api/types';
import { DiffView } from '../features/versions/DiffView';

const diff: DiffResult = {
  from: 1,
  to: 'current',
  blocks: [
    { op: 'equal', words: [{ op: 'equal', text: 'Intro' }, { op: 'equal', text: 'stays.' }] },
    {
      op: 'modify',
      words: [
        { op: 'equal', text: 'The' },
        { op: 'delete', text: 'old' },
        { op: 'insert', text: 'new' },
        { op: 'equal', text: 'plan.' },
      ],
    },
    { op: 'insert', words: [{ op: 'insert', text: 'Added' }, { op: 'insert', text: 'line.' }] },
    { op: 'delete', words: [{ op: 'delete', text: 'Gone.' }] },
  ],
  stats: { inserted_words: 3, deleted_words: 2, blocks_changed: 3 },
  unified: '',
};

describe('DiffView', () => {
  it('marks insertions with <ins> and deletions with <del>', () => {
    const { container } = render(<DiffView diff={diff} />);
    const view = screen.getByTestId('diff-view');
    const ins = Array.from(view.querySelectorAll('.diff-body ins')).map((n) => n.textContent);
    const del = Array.from(view.querySelectorAll('.diff-body del')).map((n) => n.textContent);
    expect(ins).toEqual(['new', 'Added line.']);
    expect(del).toEqual(['old', 'Gone.']);
    const modify = container.querySelector('[data-op="modify"]')!;
    expect(modify.textContent).toContain('The old new plan.');
  });

  it('shows the stats and labels changed paragraphs for screen readers', () => {
    render(<DiffView diff={diff} />);
    expect(screen.getByText('+3 words')).toBeInTheDocument();
    expect(screen.getByText('−2 words')).toBeInTheDocument();
    expect(screen.getByText(/in 3 paragraphs/)).toBeInTheDocument();
    expect(screen.getByText('Added paragraph:')).toBeInTheDocument();
    expect(screen.getByText('Removed paragraph:')).toBeInTheDocument();
  });

  it('does not double spaces when tokens carry their own whitespace', () => {
    const d: DiffResult = {
      ...diff,
      blocks: [
        {
          op: 'modify',
          words: [
            { op: 'equal', text: 'a ' },
            { op: 'insert', text: 'b ' },
            { op: 'equal', text: 'c' },
          ],
        },
      ],
    };
    const { container } = render(<DiffView diff={d} />);
    expect(container.querySelector('[data-op="modify"]')!.textContent).toBe('Changed paragraph: a b c');
  });

  it('says when there is no difference', () => {
    render(
      <DiffView
        diff={{ ...diff, blocks: [diff.blocks[0]], stats: { inserted_words: 0, deleted_words: 0, blocks_changed: 0 } }}
      />,
    );
    expect(screen.getByText('No differences.')).toBeInTheDocument();
  });
});
