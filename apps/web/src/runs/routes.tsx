import type { RouteObject } from 'react-router';
import { RunPage } from './RunPage.tsx';
import { RunRequestPage } from './RunRequestPage.tsx';
import { RunsPage } from './RunsPage.tsx';

export const runRoutes: RouteObject[] = [
  { path: '/runs', element: <RunsPage /> },
  { path: '/runs/new', element: <RunRequestPage /> },
  { path: '/runs/:id', element: <RunPage /> },
];
