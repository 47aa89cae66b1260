/**
 * The differences between a version and the current content, block by block and word by word.
 */
import type { DiffBlock, DiffResult } from '../../api/types';
import { spacedWords, tokensCarrySpace } from './diffText';

const joinWords = (b: DiffBlock, carry: boolean) => b.words.map((w) => w.text).join(carry ? '' : ' ');

function Words({ block, carry }: { block: DiffBlock; carry: boolean }) {
  return (
    <>
      {spacedWords(block.words, carry).map(({ word, sep }, i) => {
        if (word.op === 'insert')
          return (
            <span key={i}>
              <ins className="diff-ins" data-testid="diff-ins">
                {word.text}
              </ins>
              {sep}
            </span>
          );
        if (word.op === 'delete')
          return (
            <span key={i}>
              <del className="diff-del" data-testid="diff-del">
                {word.text}
              </del>
              {sep}
            </span>
          );
        return <span key={i}>{word.text + sep}</span>;
      })}
    </>
  );
}

function blockLabel(op: DiffBlock['op']): string | undefined {
  if (op === 'insert') return 'Added paragraph';
  if (op === 'delete') return 'Removed paragraph';
  if (op === 'modify') return 'Changed paragraph';
  return undefined;
}

/** Paragraph/word diff: insertions green + underlined, deletions red + struck through. */
export function DiffView({ diff }: { diff: DiffResult }) {
  const { stats } = diff;
  const unchanged = diff.blocks.every((b) => b.op === 'equal');
  // the server sends runs that include their whitespace; older/simple ones send bare words
  const carry = diff.blocks.some((b) => tokensCarrySpace(b.words));
  return (
    <div className="diff" data-testid="diff-view">
      <p className="diff-stats" aria-live="polite">
        <span className="diff-stat-ins">+{stats.inserted_words} words</span>{' '}
        <span className="diff-stat-del">−{stats.deleted_words} words</span>{' '}
        <span className="muted">
          in {stats.blocks_changed} paragraph{stats.blocks_changed === 1 ? '' : 's'}
        </span>
      </p>
      <div className="diff-legend muted">
        <ins className="diff-ins">inserted</ins> <del className="diff-del">deleted</del>
      </div>
      {unchanged && <p className="empty-state">No differences.</p>}
      <div className="diff-body">
        {diff.blocks.map((b, i) => (
          <div key={i} className={`diff-block diff-block-${b.op}`} data-op={b.op}>
            {blockLabel(b.op) && <span className="visually-hidden">{blockLabel(b.op)}: </span>}
            {b.op === 'insert' ? (
              <ins className="diff-ins" data-testid="diff-ins">
                {joinWords(b, carry)}
              </ins>
            ) : b.op === 'delete' ? (
              <del className="diff-del" data-testid="diff-del">
                {joinWords(b, carry)}
              </del>
            ) : (
              <Words block={b} carry={carry} />
            )}
          </div>
        ))}
      </div>
    </div>
  );
}
