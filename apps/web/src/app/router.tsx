import { createBrowserRouter, Outlet, type RouteObject } from 'react-router';
import { administrationRoutes } from '../admin/routes.tsx';
import { auditTrailRoutes } from '../audit/routes.tsx';
import { changeRequestRoutes } from '../changes/routes.tsx';
import { dashboardRoutes } from '../dashboard/routes.tsx';
import { datasetRoutes } from '../datasets/routes.tsx';
import { entityRoutes } from '../entities/routes.tsx';
import { exceptionShellRoutes } from '../exceptions/routes.tsx';
import { identityPublicRoutes, identityShellRoutes } from '../identity/routes.tsx';
import { runRoutes } from '../runs/routes.tsx';
import { testRoutes } from '../tests/routes.tsx';
import { AppLayout } from './AppLayout.tsx';
import { LandingRedirect } from './LandingRedirect.tsx';
import { NotAvailablePage } from './NotAvailablePage.tsx';
import { NotFoundPage } from './NotFoundPage.tsx';
import { NAVIGATION } from './navigation.ts';
import { RequireSession } from './RequireSession.tsx';
import { SessionEndedWatcher } from './SessionEndedWatcher.tsx';

function RootLayout() {
  return (
    <>
      <SessionEndedWatcher />
      <Outlet />
    </>
  );
}

/**
 * One placeholder route for each main area. When an area gets its screens,
 * export its routes from its domain folder (as identity/routes.tsx does),
 * add them to `shellRoutes`, and drop the area from this list.
 */
const placeholderRoutes: RouteObject[] = NAVIGATION.filter(
  (entry) =>
    ![
      '/exceptions',
      '/dashboard',
      '/entities',
      '/datasets',
      '/runs',
      '/change-requests',
      '/administration',
      '/audit-trail',
      '/tests',
    ].includes(entry.path),
).map((entry) => ({
  path: entry.path,
  element: <NotAvailablePage title={entry.label} />,
}));

/** Routes inside the app shell; each needs a full session. */
const shellRoutes: RouteObject[] = [
  { index: true, element: <LandingRedirect /> },
  ...placeholderRoutes,
  ...identityShellRoutes,
  ...exceptionShellRoutes,
  ...dashboardRoutes,
  ...entityRoutes,
  ...datasetRoutes,
  ...runRoutes,
  ...changeRequestRoutes,
  ...administrationRoutes,
  ...auditTrailRoutes,
  ...testRoutes,
  { path: '*', element: <NotFoundPage /> },
];

export const routes: RouteObject[] = [
  {
    element: <RootLayout />,
    children: [
      ...identityPublicRoutes,
      {
        element: (
          <RequireSession>
            <AppLayout />
          </RequireSession>
        ),
        children: shellRoutes,
      },
    ],
  },
];

export function createRouter() {
  return createBrowserRouter(routes);
}
