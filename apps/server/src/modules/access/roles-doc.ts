import {
  PERMISSION_CATALOGUE,
  PERMISSION_NAMES,
  ROLE_DESCRIPTIONS,
  ROLES,
  roleHolds,
} from './permissions.ts';
import { SOD_RULES } from './separation-of-duties.ts';

/** Render docs/security/roles.md: the role × permission matrix from the catalogue. */
export function renderRolesDoc(): string {
  const header = `| permission | ${ROLES.join(' | ')} | meaning |`;
  const divider = `|---|${ROLES.map(() => ':-:').join('|')}|---|`;
  const rows = PERMISSION_NAMES.map((permission) => {
    const cells = ROLES.map((role) => (roleHolds(role, permission) ? '✓' : ''));
    return `| \`${permission}\` | ${cells.join(' | ')} | ${PERMISSION_CATALOGUE[permission].description} |`;
  });
  const roles = ROLES.map((role) => `| \`${role}\` | ${ROLE_DESCRIPTIONS[role]} |`);
  const rules = Object.entries(SOD_RULES).map(([code, rule]) => `| \`${code}\` | ${rule} |`);

  return [
    '# Roles and permissions',
    '',
    'Five predefined roles. A grant gives one role to one user on one entity, and covers that entity and every entity below it. A user may hold different roles in different subtrees.',
    '',
    'This page is generated from `apps/server/src/modules/access/permissions.ts` by `npm run docs:roles`; a test fails when the two differ. How the checks run is in [authorization.md](authorization.md).',
    '',
    '## Roles',
    '',
    '| role | what it is for |',
    '|---|---|',
    ...roles,
    '',
    '## Role × permission',
    '',
    header,
    divider,
    ...rows,
    '',
    'Routes that need no permission declare `self` (the caller acts on their own account or session) or `public` (no sign-in: sign-in itself, health, the JSON Web Key Set, the API reference).',
    '',
    '## Separation of duties',
    '',
    'Each rule has a stable code, returned as the problem `code` (403) and recorded as the `reason_code` of an audited `access.sod_violation` event.',
    '',
    '| code | rule |',
    '|---|---|',
    ...rules,
    '',
  ].join('\n');
}
