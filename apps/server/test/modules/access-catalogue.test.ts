import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isRouteAccess,
  PERMISSION_CATALOGUE,
  PERMISSION_NAMES,
  permissionsOf,
  ROLES,
  roleHolds,
} from '../../src/modules/access/permissions.ts';
import { renderRolesDoc } from '../../src/modules/access/roles-doc.ts';
import { SOD_RULES } from '../../src/modules/access/separation-of-duties.ts';
import { ERROR_CODES } from '../../src/platform/http/error-codes.ts';

describe('permission catalogue', () => {
  it('matches docs/security/roles.md', () => {
    const doc = readFileSync(
      new URL('../../../../docs/security/roles.md', import.meta.url),
      'utf8',
    );

    expect(doc, 'run npm run docs:roles').toBe(renderRolesDoc());
  });

  it('names every permission resource.action, held by some known role', () => {
    for (const permission of PERMISSION_NAMES) {
      expect(permission).toMatch(/^[a-z_]+\.[a-z_]+$/);
      const holders = PERMISSION_CATALOGUE[permission].roles as readonly string[];
      expect(holders.length, permission).toBeGreaterThan(0);
      for (const role of holders) expect(ROLES).toContain(role);
    }
  });

  it('keeps audit work and administration apart', () => {
    for (const permission of [
      'datasets.import',
      'tests.draft',
      'runs.execute',
      'exceptions.investigate',
      'exceptions.review',
      'evidence.upload',
      'risk.accept',
    ] as const) {
      expect(roleHolds('administrator', permission), permission).toBe(false);
    }
    for (const permission of permissionsOf('read_only')) {
      expect(permission, 'read-only changes nothing').toMatch(/\.read$/);
    }
    expect(roleHolds('preparer', 'exceptions.review')).toBe(false);
    expect(roleHolds('reviewer', 'exceptions.investigate')).toBe(false);
  });

  it('accepts only catalogue permissions, self and public as route declarations', () => {
    expect(isRouteAccess('runs.read')).toBe(true);
    expect(isRouteAccess('self')).toBe(true);
    expect(isRouteAccess('public')).toBe(true);
    for (const bad of [undefined, '', 'runs', 'runs.delete', 'PUBLIC', 'constructor', 42]) {
      expect(isRouteAccess(bad), String(bad)).toBe(false);
    }
  });

  it('gives every separation-of-duties rule a 403 error code', () => {
    for (const rule of Object.keys(SOD_RULES)) {
      expect(ERROR_CODES[rule as keyof typeof ERROR_CODES]?.status, rule).toBe(403);
    }
  });
});
