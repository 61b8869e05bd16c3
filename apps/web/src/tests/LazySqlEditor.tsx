import { Loader } from '@mantine/core';
import { type ComponentProps, lazy, Suspense } from 'react';
import type { EditableSqlEditor, SqlEditor } from './SqlEditor.tsx';

// CodeMirror loads with the first SQL shown, so the main bundle stays the same size.
const SqlEditorModule = lazy(() =>
  import('./SqlEditor.tsx').then(({ SqlEditor }) => ({ default: SqlEditor })),
);
const EditableSqlEditorModule = lazy(() =>
  import('./SqlEditor.tsx').then(({ EditableSqlEditor }) => ({ default: EditableSqlEditor })),
);

/** Renders a SqlEditor, loading CodeMirror on first use and showing a loader until it arrives. */
export function LazySqlEditor(props: ComponentProps<typeof SqlEditor>) {
  return (
    <Suspense fallback={<Loader aria-label="Loading the SQL editor" />}>
      <SqlEditorModule {...props} />
    </Suspense>
  );
}

/** Renders an EditableSqlEditor, loading CodeMirror on first use and showing a loader until it arrives. */
export function LazyEditableSqlEditor(props: ComponentProps<typeof EditableSqlEditor>) {
  return (
    <Suspense fallback={<Loader aria-label="Loading the SQL editor" />}>
      <EditableSqlEditorModule {...props} />
    </Suspense>
  );
}
