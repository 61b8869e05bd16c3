import type { RouteObject } from 'react-router';
import { DatasetPage } from './DatasetPage.tsx';
import { DatasetsPage } from './DatasetsPage.tsx';

export const datasetRoutes: RouteObject[] = [
  { path: '/datasets', element: <DatasetsPage /> },
  { path: '/datasets/show', element: <DatasetPage /> },
];
