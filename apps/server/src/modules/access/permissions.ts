/**
 * The one catalogue of permissions and of the predefined roles that hold
 * them. Routes declare a permission, services authorize against it on the
 * loaded target, personal API tokens carry a subset of it, and
 * docs/security/roles.md is generated from this file.
 *
 * A permission is an action on a resource, named `resource.action`. A role
 * grants its permissions on every entity its grant covers: the granted
 * entity and everything below it.
 */

export const ROLES = ['read_only', 'preparer', 'reviewer', 'management', 'administrator'] as const;

export type Role = (typeof ROLES)[number];

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  read_only: 'Sees the data in scope and changes nothing.',
  preparer:
    'Drafts tests, runs them, investigates exceptions, uploads evidence and prepares sign-offs.',
  reviewer: 'Reviews and signs off the work of others, and approves change requests.',
  management: 'Sees everything in scope, reads dashboards and the audit trail, and accepts risk.',
  administrator:
    'Manages users, role grants, entities and platform settings; never approves its own changes.',
};

const ALL: readonly Role[] = ROLES;

/** Each permission: what it allows, and the roles that hold it. */
export const PERMISSION_CATALOGUE = {
  'entities.read': {
    description: 'See entities in scope and their place in the tree.',
    roles: ALL,
  },
  'entities.manage': {
    description: 'Create, rename and archive entities, and request entity moves.',
    roles: ['administrator'],
  },
  'users.read': {
    description: 'List users and their status.',
    roles: ['administrator'],
  },
  'users.manage': {
    description: 'Create, suspend, reactivate and deprovision users, and revoke their sessions.',
    roles: ['administrator'],
  },
  'grants.read': {
    description: 'List the role grants on the entities in scope.',
    roles: ['management', 'administrator'],
  },
  'grants.request': {
    description: 'Request role grants and revocations; another person approves them.',
    roles: ['administrator'],
  },
  'settings.read': {
    description: 'Read the platform settings.',
    roles: ['management', 'administrator'],
  },
  'settings.request': {
    description: 'Request changes to platform settings; another person approves them.',
    roles: ['administrator'],
  },
  'change_requests.read': {
    description: 'List and read change requests in scope, and your own requests even outside it.',
    roles: ['preparer', 'reviewer', 'management', 'administrator'],
  },
  'change_requests.decide': {
    description: 'Approve or reject change requests made by others.',
    roles: ['reviewer', 'administrator'],
  },
  'audit_trail.read': {
    description: 'Search audit events, and read checkpoints and proofs.',
    roles: ['management', 'administrator'],
  },
  'datasets.read': {
    description: 'List datasets and read their versions, fingerprints and column types.',
    roles: ALL,
  },
  'datasets.import': {
    description: 'Import new dataset versions into an entity.',
    roles: ['preparer'],
  },
  'tests.read': {
    description: 'List tests, their versions and library templates.',
    roles: ALL,
  },
  'tests.draft': {
    description: 'Draft tests and new test versions, and export definitions.',
    roles: ['preparer'],
  },
  'runs.read': {
    description: 'Read runs and the rows they flagged.',
    roles: ALL,
  },
  'runs.execute': {
    description: 'Queue runs and previews of tests and library templates, and re-perform runs.',
    roles: ['preparer'],
  },
  'exceptions.read': {
    description: 'Read exceptions and their history.',
    roles: ALL,
  },
  'exceptions.assign': {
    description: 'Assign and reassign exceptions to preparers.',
    roles: ['preparer', 'reviewer', 'management'],
  },
  'exceptions.investigate': {
    description:
      'Investigate exceptions, propose dispositions, comment, request retests and sign off as preparer.',
    roles: ['preparer'],
  },
  'exceptions.review': {
    description:
      'Approve or return dispositions that someone else proposed, sign off as reviewer and withdraw sign-offs.',
    roles: ['reviewer'],
  },
  'risk.accept': {
    description:
      'Approve or decline the risk acceptance of an exception that a reviewer has approved.',
    roles: ['management'],
  },
  'evidence.read': {
    description: 'Download evidence that passed verification and scanning.',
    roles: ALL,
  },
  'evidence.upload': {
    description:
      'Upload evidence to exceptions, runs, tests and engagements, add versions and set evidence dates.',
    roles: ['preparer'],
  },
  'evidence.quarantine': {
    description:
      'See quarantined evidence files: which signature the scanner matched, in which file, uploaded by whom.',
    roles: ['administrator'],
  },
  'dashboards.read': {
    description: 'Read dashboards and summary metrics.',
    roles: ['management', 'reviewer', 'administrator'],
  },
} as const satisfies Record<string, { description: string; roles: readonly Role[] }>;

export type Permission = keyof typeof PERMISSION_CATALOGUE;

export const PERMISSION_NAMES = Object.keys(PERMISSION_CATALOGUE) as Permission[];

/**
 * What a route declares when it is not governed by a catalogue permission:
 * `public` routes serve callers who have not signed in (sign-in, health),
 * and `self` routes act only on the caller's own account or session.
 */
export const ROUTE_ACCESS_WITHOUT_PERMISSION = ['public', 'self'] as const;

export type RouteAccess = Permission | (typeof ROUTE_ACCESS_WITHOUT_PERMISSION)[number];

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSION_CATALOGUE, value);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isRouteAccess(value: unknown): value is RouteAccess {
  return (
    typeof value === 'string' &&
    (isPermission(value) || (ROUTE_ACCESS_WITHOUT_PERMISSION as readonly string[]).includes(value))
  );
}

/** Return true when `role` includes `permission`. */
export function roleHolds(role: Role, permission: Permission): boolean {
  return (PERMISSION_CATALOGUE[permission].roles as readonly Role[]).includes(role);
}

/** Return true when any of `roles` includes `permission`. */
export function rolesHold(roles: readonly Role[], permission: Permission): boolean {
  return roles.some((role) => roleHolds(role, permission));
}

/** List the permissions of a role, in catalogue order. */
export function permissionsOf(role: Role): Permission[] {
  return PERMISSION_NAMES.filter((permission) => roleHolds(role, permission));
}

/** List the roles that include a permission. */
export function rolesHolding(permission: Permission): readonly Role[] {
  return PERMISSION_CATALOGUE[permission].roles;
}
