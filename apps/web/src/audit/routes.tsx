import { Navigate, type RouteObject } from 'react-router';
import { AuditTrailPage } from './AuditTrailPage.tsx';

/**
 * The audit trail at /audit-trail, where the navigation links, and /audit
 * as a short alias that redirects there.
 */
export const auditTrailRoutes: RouteObject[] = [
  { path: '/audit-trail', element: <AuditTrailPage /> },
  { path: '/audit', element: <Navigate to="/audit-trail" replace /> },
];
