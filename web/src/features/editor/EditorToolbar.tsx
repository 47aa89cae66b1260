/**
 * The formatting toolbar: marks, headings, lists, quote, code block, link, undo and redo, comment, and the
 * suggesting-mode switch.
 */
import { useEditorState, type Editor } from '@tiptap/react';
import { useState } from 'react';
import { Icon } from '../../ui/Icon';
import { LinkDialog } from './LinkDialog';
import { ToolbarButton } from '../../ui/ToolbarButton';
import { isSuggesting, setSuggesting } from '../../collab/suggesting';

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
const mod = isMac ? '⌘' : 'Ctrl';

interface Props {
  editor: Editor;
  disabled: boolean;
  /** Runs undo/redo (possibly after a pending restore check); immediately by default. */
  runHistory?: (action: () => void) => void;
  /** Opens the comment composer for the selection (shown when the user may comment). */
  onComment?: () => void;
}

export function EditorToolbar({ editor, disabled, runHistory = (a) => a(), onComment }: Props) {
  const [linkOpen, setLinkOpen] = useState(false);
  const s = useEditorState({
    editor,
    selector: ({ editor: e }) => ({
      h1: e.isActive('heading', { level: 1 }),
      h2: e.isActive('heading', { level: 2 }),
      h3: e.isActive('heading', { level: 3 }),
      bold: e.isActive('bold'),
      italic: e.isActive('italic'),
      strike: e.isActive('strike'),
      code: e.isActive('code'),
      bullet: e.isActive('bulletList'),
      ordered: e.isActive('orderedList'),
      quote: e.isActive('blockquote'),
      codeBlock: e.isActive('codeBlock'),
      link: e.isActive('link'),
      href: (e.getAttributes('link').href as string | undefined) ?? '',
      canUndo: e.can().undo(),
      canRedo: e.can().redo(),
      empty: e.state.selection.empty,
      suggesting: isSuggesting(e.state),
    }),
  });
  const chain = () => editor.chain().focus();

  return (
    <div className="toolbar" role="toolbar" aria-label="Formatting" aria-disabled={disabled || undefined} data-testid="toolbar">
      <div className="tb-group">
        <ToolbarButton label="Undo" shortcut={`${mod}+Z`} disabled={disabled || !s.canUndo} onClick={() => runHistory(() => chain().undo().run())}>
          <Icon name="undo" />
        </ToolbarButton>
        <ToolbarButton label="Redo" shortcut={`${mod}+Shift+Z`} disabled={disabled || !s.canRedo} onClick={() => runHistory(() => chain().redo().run())}>
          <Icon name="redo" />
        </ToolbarButton>
      </div>
      <div className="tb-group">
        {([1, 2, 3] as const).map((level) => (
          <ToolbarButton
            key={level}
            label={`H${level} heading`}
            active={s[`h${level}`]}
            disabled={disabled}
            onClick={() => chain().toggleHeading({ level }).run()}
          >
            <span aria-hidden="true">H{level}</span>
          </ToolbarButton>
        ))}
      </div>
      <div className="tb-group">
        <ToolbarButton label="Bold" shortcut={`${mod}+B`} active={s.bold} disabled={disabled} onClick={() => chain().toggleBold().run()}>
          <strong aria-hidden="true">B</strong>
        </ToolbarButton>
        <ToolbarButton label="Italic" shortcut={`${mod}+I`} active={s.italic} disabled={disabled} onClick={() => chain().toggleItalic().run()}>
          <em aria-hidden="true">I</em>
        </ToolbarButton>
        <ToolbarButton label="Strikethrough" shortcut={`${mod}+Shift+S`} active={s.strike} disabled={disabled} onClick={() => chain().toggleStrike().run()}>
          <s aria-hidden="true">S</s>
        </ToolbarButton>
        <ToolbarButton label="Inline code" shortcut={`${mod}+E`} active={s.code} disabled={disabled} onClick={() => chain().toggleCode().run()}>
          <code aria-hidden="true">{'<>'}</code>
        </ToolbarButton>
        <ToolbarButton label={s.link ? 'Edit link' : 'Add link'} shortcut={`${mod}+K`} active={s.link} disabled={disabled} onClick={() => setLinkOpen(true)}>
          <Icon name="link" />
        </ToolbarButton>
      </div>
      <div className="tb-group">
        <ToolbarButton label="Bulleted list" active={s.bullet} disabled={disabled} onClick={() => chain().toggleBulletList().run()}>
          <Icon name="bulletList" />
        </ToolbarButton>
        <ToolbarButton label="Numbered list" active={s.ordered} disabled={disabled} onClick={() => chain().toggleOrderedList().run()}>
          <Icon name="orderedList" />
        </ToolbarButton>
        <ToolbarButton label="Quote" active={s.quote} disabled={disabled} onClick={() => chain().toggleBlockquote().run()}>
          <Icon name="quote" />
        </ToolbarButton>
        <ToolbarButton label="Code block" active={s.codeBlock} disabled={disabled} onClick={() => chain().toggleCodeBlock().run()}>
          <Icon name="codeBlock" />
        </ToolbarButton>
      </div>
      <div className="tb-group">
        <button
          type="button"
          className={`tb-btn tb-text${s.suggesting ? ' is-active' : ''}`}
          aria-pressed={s.suggesting}
          data-testid="suggesting-toggle"
          title="Suggesting: your edits become suggestions that an editor accepts or rejects"
          disabled={disabled}
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => setSuggesting(editor, !s.suggesting)}
        >
          <Icon name="suggest" /> Suggesting
        </button>
      </div>
      {onComment && (
        <div className="tb-group">
          <ToolbarButton label="Comment" shortcut="Ctrl+Alt+M" disabled={s.empty} onClick={onComment}>
            <Icon name="comment" />
          </ToolbarButton>
        </div>
      )}
      {linkOpen && (
        <LinkDialog
          initial={s.href}
          onClose={() => setLinkOpen(false)}
          onSubmit={(href) => {
            setLinkOpen(false);
            if (href) chain().extendMarkRange('link').setLink({ href }).run();
            else chain().extendMarkRange('link').unsetLink().run();
          }}
        />
      )}
    </div>
  );
}
