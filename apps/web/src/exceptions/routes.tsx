import type { RouteObject } from 'react-router';
import { ExceptionDetailPage } from './ExceptionDetailPage.tsx';
import { ExceptionQueuePage } from './ExceptionQueuePage.tsx';

/** Exception screens inside the app shell: the queue and one exception with its evidence. */
export const exceptionShellRoutes: RouteObject[] = [
  { path: '/exceptions', element: <ExceptionQueuePage /> },
  { path: '/exceptions/:id', element: <ExceptionDetailPage /> },
];
