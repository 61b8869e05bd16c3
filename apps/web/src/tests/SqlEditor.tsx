import { sql } from '@codemirror/lang-sql';
import { defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import { EditorView, lineNumbers } from '@codemirror/view';
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
