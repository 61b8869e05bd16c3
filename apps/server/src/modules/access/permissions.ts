/**
 * The catalogue of permissions that routes declare and personal API tokens
 * carry. A token reaches a route only when the route declares a permission
 * and the token names it; the user's own grants are checked as well.
 * NOTE: only the permissions of routes built so far; the role matrix that
 * maps roles to permissions does not exist yet.
 */
export const PERMISSIONS = {
  'audit_trail.read': 'Search audit events, and read checkpoints and proofs.',
  'datasets.read': 'List datasets and read their versions, fingerprints and column types.',
  'tests.read': 'List tests and library templates.',
  'runs.read': 'Read runs and the rows they flagged.',
  'runs.execute': 'Queue runs of tests and library templates.',
  'users.manage': 'Create, suspend, reactivate and deprovision users, and revoke their sessions.',
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}
