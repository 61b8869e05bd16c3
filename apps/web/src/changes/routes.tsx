import type { RouteObject } from 'react-router';
import { ChangeRequestPage } from './ChangeRequestPage.tsx';
import { ChangeRequestsPage } from './ChangeRequestsPage.tsx';

/** Change-request screens inside the app shell: the inbox and one request with its diff. */
export const changeRequestRoutes: RouteObject[] = [
  { path: '/change-requests', element: <ChangeRequestsPage /> },
  { path: '/change-requests/:id', element: <ChangeRequestPage /> },
];
