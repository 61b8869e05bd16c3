import type { RouteObject } from 'react-router';
import { DatasetImportPage } from './DatasetImportPage.tsx';
import { DatasetPage } from './DatasetPage.tsx';
import { DatasetsPage } from './DatasetsPage.tsx';

export const datasetRoutes: RouteObject[] = [
  { path: '/datasets', element: <DatasetsPage /> },
  { path: '/datasets/import', element: <DatasetImportPage /> },
  { path: '/datasets/show', element: <DatasetPage /> },
];
