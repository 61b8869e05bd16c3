import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { sql } from '@codemirror/lang-sql';
import { defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import { EditorView, keymap, lineNumbers } from '@codemirror/view';
import { useEffect, useRef } from 'react';

/**
 * Colors of the gutter and the text, darker than CodeMirror's defaults so
 * they meet the WCAG AA contrast ratio of 4.5:1 on a white background.
 */
const readableTheme = EditorView.theme({
  '&': { border: '1px solid var(--mantine-color-gray-4)', fontSize: '0.875rem' },
  '.cm-gutters': { color: '#4a4a4a', backgroundColor: '#f3f3f3' },
  '.cm-content': { color: '#1a1a1a' },
});

/** Renders `value` as read-only SQL with line numbers and syntax highlighting. */
export function SqlEditor({ value, label }: { value: string; label: string }) {
  const parent = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (parent.current === null) return;
    const view = new EditorView({
      parent: parent.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          sql(),
          syntaxHighlighting(defaultHighlightStyle),
          EditorState.readOnly.of(true),
          EditorView.editable.of(false),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': label, 'aria-readonly': 'true' }),
          readableTheme,
        ],
      }),
    });
    return () => view.destroy();
  }, [value, label]);

  return <div ref={parent} data-testid="sql-editor" />;
}

/**
 * Renders `value` as editable SQL with line numbers, syntax highlighting
 * and undo, and calls `onChange` with the whole text after each edit. Tab
 * moves focus out of the editor instead of indenting, so keyboard users are
 * never trapped in it.
 */
export function EditableSqlEditor({
  value,
  label,
  onChange,
  invalid = false,
  describedBy,
}: {
  value: string;
  label: string;
  onChange: (value: string) => void;
  invalid?: boolean;
  describedBy?: string;
}) {
  const parent = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latestOnChange = useRef(onChange);
  latestOnChange.current = onChange;

  // The view is built once per label, so typing never rebuilds it and loses the cursor.
  // biome-ignore lint/correctness/useExhaustiveDependencies: value seeds the view only; the effect below syncs later changes
  useEffect(() => {
    if (parent.current === null) return;
    const created = new EditorView({
      parent: parent.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          sql(),
          syntaxHighlighting(defaultHighlightStyle),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': label, 'aria-multiline': 'true' }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) latestOnChange.current(update.state.doc.toString());
          }),
          readableTheme,
        ],
      }),
    });
    view.current = created;
    return () => {
      created.destroy();
      view.current = null;
    };
  }, [label]);

  // Replace the text when the form changes it from outside, for example on a reset.
  useEffect(() => {
    const current = view.current;
    if (current === null || current.state.doc.toString() === value) return;
    current.dispatch({ changes: { from: 0, to: current.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const content = view.current?.contentDOM;
    if (content === undefined) return;
    content.setAttribute('aria-invalid', String(invalid));
    if (describedBy === undefined) content.removeAttribute('aria-describedby');
    else content.setAttribute('aria-describedby', describedBy);
  }, [invalid, describedBy]);

  return <div ref={parent} data-testid="sql-code-editor" />;
}
