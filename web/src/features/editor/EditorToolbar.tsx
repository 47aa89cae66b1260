/**
 * The formatting toolbar: marks, headings, lists (also task lists), quote, code block, horizontal rule,
 * table (with the table menu while the selection is in one), image (file picker) and its alt text, link,
 * undo and redo, comment, and the suggesting-mode switch. Inserting or restructuring blocks (task list,
 * rule, table, image, the table menu's rows and columns) cannot be suggested, so those tools are off while
 * suggesting; typing in a table, ticking a task and alt text still work.
 */
import { useEditorState, type Editor } from '@tiptap/react';
import { NodeSelection } from '@tiptap/pm/state';
import { useRef, useState, type ChangeEvent } from 'react';
import { AltTextDialog } from './media/AltTextDialog';
import { UPLOAD_ACCEPT } from './media/upload';
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
  /** Uploads the picked image files and inserts them at the selection (the "Insert image" button). */
  onInsertImages?: (files: File[]) => void;
}

export function EditorToolbar({ editor, disabled, runHistory = (a) => a(), onComment, onInsertImages }: Props) {
  const [linkOpen, setLinkOpen] = useState(false);
  const [altOpen, setAltOpen] = useState(false);
  const fileRef = useRef<HTMLInputElement>(null);
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
      taskList: e.isActive('taskList'),
      inTable: e.isActive('table'),
      canTable: e.can().insertTable({ rows: 3, cols: 3, withHeaderRow: true }),
      canRule: e.can().setHorizontalRule(),
      image: e.state.selection instanceof NodeSelection && e.state.selection.node.type.name === 'image',
      alt: (e.getAttributes('image').alt as string | null | undefined) ?? '',
    }),
  });
  const chain = () => editor.chain().focus();
  // block changes cannot be tracked as suggestions (see collab/suggesting.ts)
  const noBlocks = disabled || s.suggesting;
  const blockTitle = s.suggesting ? 'not available while suggesting' : undefined;
  const pickImages = (e: ChangeEvent<HTMLInputElement>) => {
    const files = Array.from(e.target.files ?? []);
    e.target.value = '';
    if (files.length && onInsertImages && editor.isEditable && !isSuggesting(editor.state)) onInsertImages(files);
  };

  return (
    <div className="toolbar-bar">
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
          <ToolbarButton label="Task list" note={blockTitle} active={s.taskList} disabled={noBlocks} onClick={() => chain().toggleTaskList().run()}>
            <Icon name="taskList" />
          </ToolbarButton>
          <ToolbarButton label="Quote" active={s.quote} disabled={disabled} onClick={() => chain().toggleBlockquote().run()}>
            <Icon name="quote" />
          </ToolbarButton>
          <ToolbarButton label="Code block" active={s.codeBlock} disabled={disabled} onClick={() => chain().toggleCodeBlock().run()}>
            <Icon name="codeBlock" />
          </ToolbarButton>
        </div>
        <div className="tb-group">
          <ToolbarButton label="Horizontal rule" note={blockTitle} disabled={noBlocks || !s.canRule} onClick={() => chain().setHorizontalRule().run()}>
            <Icon name="horizontalRule" />
          </ToolbarButton>
          <ToolbarButton
            label="Insert table"
            note={blockTitle}
            disabled={noBlocks || !s.canTable}
            onClick={() => chain().insertTable({ rows: 3, cols: 3, withHeaderRow: true }).run()}
          >
            <Icon name="table" />
          </ToolbarButton>
          {onInsertImages && (
            <>
              <ToolbarButton label="Insert image" note={blockTitle} disabled={noBlocks} onClick={() => fileRef.current?.click()}>
                <Icon name="image" />
              </ToolbarButton>
              <input
                ref={fileRef}
                type="file"
                accept={UPLOAD_ACCEPT}
                multiple
                hidden
                tabIndex={-1}
                aria-hidden="true"
                data-testid="image-file-input"
                disabled={noBlocks}
                onChange={pickImages}
              />
            </>
          )}
          <button
            type="button"
            className="tb-btn tb-text"
            aria-label="Image alt text"
            title="Image alt text (select an image first)"
            disabled={disabled || !s.image}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => setAltOpen(true)}
          >
            Alt
          </button>
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
        {altOpen && (
          <AltTextDialog
            initial={s.alt}
            onClose={() => setAltOpen(false)}
            onSubmit={(alt) => {
              setAltOpen(false);
              chain().updateAttributes('image', { alt: alt || null }).run();
            }}
          />
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
      {s.inTable && !disabled && <TableMenu editor={editor} suggesting={s.suggesting} />}
    </div>
  );
}

/** The table commands, shown while the selection is inside a table (off while suggesting). */
function TableMenu({ editor, suggesting }: { editor: Editor; suggesting: boolean }) {
  const chain = () => editor.chain().focus();
  const items: [string, () => boolean][] = [
    ['Add row below', () => chain().addRowAfter().run()],
    ['Add column right', () => chain().addColumnAfter().run()],
    ['Delete row', () => chain().deleteRow().run()],
    ['Delete column', () => chain().deleteColumn().run()],
    ['Delete table', () => chain().deleteTable().run()],
  ];
  return (
    <div className="table-menu" role="toolbar" aria-label="Table" data-testid="table-menu">
      {items.map(([label, run]) => (
        <button
          key={label}
          type="button"
          className={`tb-btn tb-text${label === 'Delete table' ? ' tb-danger' : ''}`}
          disabled={suggesting}
          title={suggesting ? `${label}: not available while suggesting` : undefined}
          onMouseDown={(e) => e.preventDefault()}
          onClick={run}
        >
          {label}
        </button>
      ))}
      {suggesting && <span className="table-menu-note">Rows and columns cannot be suggested.</span>}
    </div>
  );
}
