/** One main area of the app in the navigation. */
export interface NavigationEntry {
  path: string;
  label: string;
  /** Permission that a user needs to use the area, as the server's role matrix names it. */
  permission: string;
}

export const NAVIGATION: readonly NavigationEntry[] = [
  { path: '/dashboard', label: 'Dashboard', permission: 'dashboards.read' },
  { path: '/entities', label: 'Entities', permission: 'entities.read' },
  { path: '/datasets', label: 'Datasets', permission: 'datasets.read' },
  { path: '/tests', label: 'Tests', permission: 'tests.read' },
  { path: '/runs', label: 'Runs', permission: 'runs.read' },
  { path: '/exceptions', label: 'Exceptions', permission: 'exceptions.read' },
  { path: '/change-requests', label: 'Change requests', permission: 'change_requests.read' },
  { path: '/administration', label: 'Administration', permission: 'users.read' },
  { path: '/audit-trail', label: 'Audit trail', permission: 'audit_trail.read' },
];

/**
 * Return the entries that a user with `permissions` may use, or every entry
 * when the permissions are unknown.
 */
export function visibleNavigation(
  permissions: ReadonlySet<string> | undefined,
): readonly NavigationEntry[] {
  if (permissions === undefined) return NAVIGATION;
  return NAVIGATION.filter((entry) => permissions.has(entry.permission));
}

/**
 * Areas a user lands on after signing in and at `/`, in order of preference:
 * the dashboard for those who may read it, else the exception queue, where
 * preparers and read-only users do their work.
 */
const PREFERRED_LANDING = ['/dashboard', '/exceptions'];

/**
 * Return the path a user lands on after signing in and at `/`: the first
 * preferred area that `permissions` allow, else the first area of the
 * navigation they allow, or null when they allow none.
 */
export function landingPath(permissions: ReadonlySet<string>): string | null {
  const visible = visibleNavigation(permissions);
  const preferred = PREFERRED_LANDING.find((path) => visible.some((entry) => entry.path === path));
  return preferred ?? visible[0]?.path ?? null;
}
