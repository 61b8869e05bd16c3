import type { RouteObject } from 'react-router';
import { EditDraftPage, NewTestPage } from './DefinitionEditorPages.tsx';
import { TestDetailPage } from './TestDetailPage.tsx';
import { TestLibraryPage } from './TestLibraryPage.tsx';

/** Test screens inside the app shell: the library, one test or template, and the definition editor. */
export const testRoutes: RouteObject[] = [
  { path: '/tests', element: <TestLibraryPage /> },
  // Two segments, so no test key can collide with the editor's address.
  { path: '/tests/drafts/new', element: <NewTestPage /> },
  { path: '/tests/:key', element: <TestDetailPage /> },
  { path: '/tests/:key/edit', element: <EditDraftPage /> },
];
