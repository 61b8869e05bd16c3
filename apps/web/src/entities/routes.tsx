import type { RouteObject } from 'react-router';
import { EntitiesPage } from './EntitiesPage.tsx';

export const entityRoutes: RouteObject[] = [{ path: '/entities', element: <EntitiesPage /> }];
