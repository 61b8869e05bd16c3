import { describe, expect, it } from 'vitest';
import { landingPath } from '../../src/app/navigation.ts';
import { pathAfterSignIn } from '../../src/identity/sign-in-notice.ts';

/** The permissions of each role as the server's catalogue gives them, limited to the areas. */
const PREPARER = ['entities.read', 'datasets.read', 'tests.read', 'runs.read', 'exceptions.read'];
const REVIEWER = [...PREPARER, 'dashboards.read'];

describe('landingPath', () => {
  it('opens the dashboard for a user who may read it', () => {
    expect(landingPath(new Set(REVIEWER))).toBe('/dashboard');
  });

  it('opens the exception queue for a preparer', () => {
    expect(landingPath(new Set(PREPARER))).toBe('/exceptions');
  });

  it('prefers exceptions to earlier areas', () => {
    expect(landingPath(new Set(['entities.read', 'exceptions.read']))).toBe('/exceptions');
  });

  it('follows the navigation order otherwise', () => {
    expect(landingPath(new Set(['audit_trail.read', 'datasets.read']))).toBe('/datasets');
  });

  it('returns null without any area', () => {
    expect(landingPath(new Set())).toBeNull();
  });

  it('ignores permissions of no area', () => {
    expect(landingPath(new Set(['evidence.upload']))).toBeNull();
  });
});

describe('pathAfterSignIn', () => {
  it('returns the start page without a previous page', () => {
    expect(pathAfterSignIn(undefined)).toBe('/');
  });

  it('returns the previous page of this app', () => {
    expect(pathAfterSignIn('/exceptions/42')).toBe('/exceptions/42');
  });

  it.each(['//evil.example.com', 'https://evil.example.com', '/sign-in', '/setup-password'])(
    'returns the start page instead of %s',
    (from) => {
      expect(pathAfterSignIn(from)).toBe('/');
    },
  );
});
