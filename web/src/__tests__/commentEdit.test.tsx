/**
 * Editing one's own comment in a thread: Edit only on one's own comments, Save (button or
 * Ctrl+Enter) sends the new body and shows it, Cancel/Escape restore it, a refused save keeps the
 * typed text and shows the server's reason, "(edited)" with the edit time.
 */
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Thread, ThreadComment } from '../api/types';
import { ThreadItem } from '../features/comments/ThreadItem';
import { absoluteTime } from '../lib/relativeTime';
import { mockFetch } from './helpers';

const user = (id: string) => ({ id, username: id });
const comment = (id: string, author: string, body: string, edited_at: string | null = null): ThreadComment => ({
  id,
  author: user(author),
  body,
  created_at: '2026-01-01T00:00:00Z',
  edited_at,
});
const sample = (comments: ThreadComment[]): Thread => ({
  id: 't1',
  anchor: null,
  quote: null,
  resolved: false,
  resolved_by: null,
  detached: false,
  created_by: comments[0]!.author,
  created_at: '2026-01-01T00:00:00Z',
  comments,
});

/** A thread kept in state the way `useThreads` keeps it (the answer of an edit replaces it). */
function Harness({ initial, userId = 'alice', canWrite = true, live }: { initial: Thread; userId?: string; canWrite?: boolean; live?: { push?: (t: Thread) => void } }) {
  const [thread, setThread] = useState(initial);
  if (live) live.push = setThread;
  return (
    <ol>
      <ThreadItem
        docId="doc-1"
        thread={thread}
        userId={userId}
        isOwner={false}
        canWrite={canWrite}
        active={false}
        now={new Date('2026-01-01T00:10:00Z')}
        usernames={['alice', 'bob']}
        onChanged={setThread}
        onDeleted={() => {}}
        onSelectQuote={() => {}}
      />
    </ol>
  );
}

const EDITED_AT = '2026-01-01T00:05:00Z';
const twoComments = () => sample([comment('c1', 'alice', 'First take'), comment('c2', 'bob', 'Bob says hi')]);
const comments = () => screen.getAllByTestId('comment');

/** The server: PATCH answers the comment with the sent body (or `fail`). */
function server(fail?: { status: number; body: unknown }) {
  return mockFetch((c) => {
    if (c.method === 'PATCH') {
      if (fail) return fail;
      return { status: 200, body: comment('c1', 'alice', (c.body as { body: string }).body, EDITED_AT) };
    }
    return { status: 404, body: { error: 'not_found', message: 'Not found.' } };
  });
}

describe('editing a comment', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('offers Edit only on the current user’s own comments, and not without comment rights', () => {
    const { unmount } = render(<Harness initial={twoComments()} />);
    const [mine, bobs] = comments();
    expect(within(mine!).getByRole('button', { name: 'Edit comment' })).toBeVisible();
    expect(within(bobs!).queryByRole('button', { name: 'Edit comment' })).toBeNull();
    expect(screen.getAllByRole('button', { name: 'Edit comment' })).toHaveLength(1);
    unmount();
    render(<Harness initial={twoComments()} canWrite={false} />);
    expect(screen.queryByRole('button', { name: 'Edit comment' })).toBeNull();
  });

  it('Edit → change → Save sends the new body, shows it and "(edited)", and gives the focus back', async () => {
    const calls = server();
    render(<Harness initial={twoComments()} />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit comment' }));
    const box = screen.getByRole('combobox', { name: 'Edit your comment' }) as HTMLTextAreaElement;
    expect(box.value).toBe('First take');
    expect(box).toHaveFocus();
    await userEvent.clear(box);
    await userEvent.type(box, 'Second take');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));

    await waitFor(() => expect(screen.queryByTestId('comment-edit-input')).toBeNull());
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'PATCH', url: '/api/documents/doc-1/comments/t1/replies/c1', body: { body: 'Second take' } });
    const mine = comments()[0]!;
    expect(within(mine).getByText('Second take')).toBeVisible();
    expect(within(mine).getByTestId('comment-edited')).toHaveTextContent('(edited)');
    expect(within(comments()[1]!).queryByTestId('comment-edited')).toBeNull();
    expect(within(mine).getByRole('button', { name: 'Edit comment' })).toHaveFocus();
  });

  it('Ctrl+Enter saves', async () => {
    const calls = server();
    render(<Harness initial={twoComments()} />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit comment' }));
    await userEvent.type(screen.getByTestId('comment-edit-input'), ', revised');
    await userEvent.keyboard('{Control>}{Enter}{/Control}');
    await waitFor(() => expect(within(comments()[0]!).getByText('First take, revised')).toBeVisible());
    expect(calls.map((c) => c.body)).toEqual([{ body: 'First take, revised' }]);
  });

  it('Cancel and Escape put the body back without calling the server', async () => {
    const calls = server();
    render(<Harness initial={twoComments()} />);
    for (const how of ['button', 'escape'] as const) {
      await userEvent.click(screen.getByRole('button', { name: 'Edit comment' }));
      const box = screen.getByTestId('comment-edit-input');
      await userEvent.type(box, ' but changed');
      if (how === 'button') await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
      else await userEvent.keyboard('{Escape}');
      expect(screen.queryByTestId('comment-edit-input')).toBeNull();
      expect(within(comments()[0]!).getByText('First take')).toBeVisible();
      expect(screen.getByRole('button', { name: 'Edit comment' })).toHaveFocus();
    }
    expect(calls).toHaveLength(0);
  });

  it('a live change while editing keeps the typed text; one during the save is not undone by its answer', async () => {
    let answer!: () => void;
    const gate = new Promise<void>((r) => (answer = r));
    vi.stubGlobal(
      'fetch',
      vi.fn(async (_url: string, init: RequestInit) => {
        await gate;
        const { body } = JSON.parse(String(init.body)) as { body: string };
        return new Response(JSON.stringify(comment('c1', 'alice', body, EDITED_AT)), { status: 200 });
      }),
    );
    const live: { push?: (t: Thread) => void } = {};
    const base = twoComments();
    render(<Harness initial={base} live={live} />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit comment' }));
    await userEvent.type(screen.getByTestId('comment-edit-input'), '!');
    // `comment` events: bob edits his reply, then carol replies while the save is in flight
    act(() => live.push!(sample([base.comments[0]!, comment('c2', 'bob', 'Bob says hello', EDITED_AT)])));
    expect((screen.getByTestId('comment-edit-input') as HTMLTextAreaElement).value).toBe('First take!');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    act(() => live.push!(sample([base.comments[0]!, comment('c2', 'bob', 'Bob says hello', EDITED_AT), comment('c3', 'carol', 'Carol too')])));
    await act(async () => answer());
    await waitFor(() => expect(within(comments()[0]!).getByText('First take!')).toBeVisible());
    expect(comments().map((c) => c.querySelector('.comment-body')?.textContent)).toEqual(['First take!', 'Bob says hello', 'Carol too']);
  });

  it('a refused save shows the server’s message and keeps the typed text', async () => {
    server({ status: 422, body: { error: 'validation', message: 'the comment is too long' } });
    render(<Harness initial={twoComments()} />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit comment' }));
    await userEvent.type(screen.getByTestId('comment-edit-input'), ' and more');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('the comment is too long');
    const box = screen.getByTestId('comment-edit-input') as HTMLTextAreaElement;
    expect(box.value).toBe('First take and more');
    await waitFor(() => expect(box).toHaveFocus());
    expect(box).toBeEnabled();
  });

  it('shows "(edited)" with the edit time as its title when `edited_at` is set', () => {
    render(<Harness initial={sample([comment('c1', 'bob', 'Changed once', EDITED_AT)])} />);
    const mark = screen.getByTestId('comment-edited');
    expect(mark).toHaveTextContent('(edited)');
    expect(mark).toHaveAttribute('title', `Edited ${absoluteTime(EDITED_AT)}`);
    expect(mark).toHaveAttribute('datetime', EDITED_AT);
  });
});
