import type { RouteObject } from 'react-router';
import { TestDetailPage } from './TestDetailPage.tsx';
import { TestLibraryPage } from './TestLibraryPage.tsx';

/** Test screens inside the app shell: the library and one test or template. */
export const testRoutes: RouteObject[] = [
  { path: '/tests', element: <TestLibraryPage /> },
  { path: '/tests/:key', element: <TestDetailPage /> },
];
