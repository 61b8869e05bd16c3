import type { RouteObject } from 'react-router';
import { EntitiesPage } from './EntitiesPage.tsx';
import { EntityPage } from './EntityPage.tsx';

export const entityRoutes: RouteObject[] = [
  { path: '/entities', element: <EntitiesPage /> },
  { path: '/entities/:code', element: <EntityPage /> },
];
