import type { RouteObject } from 'react-router';
import { AdministrationPage } from './AdministrationPage.tsx';

export const administrationRoutes: RouteObject[] = [
  { path: '/administration', element: <AdministrationPage /> },
];
