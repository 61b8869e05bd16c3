import { describe, expect, it } from 'vitest';
import { diffSha256 } from '../../../server/src/modules/changes/diff-hash.ts';
import { canonicalize } from '../../../server/src/platform/json/jcs.ts';
import { readProblem } from '../../src/api/problem.ts';
import { computeDiffSha256 } from '../../src/changes/change-requests-api.ts';
import { diffStates } from '../../src/changes/state-diff.ts';
import { canonicalJson } from '../../src/shared/canonical-json.ts';

const SAMPLES: unknown[] = [
  null,
  true,
  0,
  -0,
  1e21,
  1.5e-7,
  0.1 + 0.2,
  'line\nbreak "quoted" \u2028 é ✓ \u0007',
  [],
  {},
  { b: 1, a: [3, { d: null, c: 'x' }], '\u20ac': 1, '\ud83d\ude00': 2, B: 0 },
];

describe('canonicalJson', () => {
  it('matches the server canonicalization', () => {
    for (const sample of SAMPLES) {
      expect(canonicalJson(sample), JSON.stringify(sample)).toBe(canonicalize(sample));
    }
  });

  it('rejects non-finite numbers', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
  });
});

describe('computeDiffSha256', () => {
  it('matches the server diff hash', async () => {
    const diff = {
      kind: 'grant.add',
      targetKey: 'e/u/reviewer',
      before: { role: 'reviewer', granted: false, user: { email: 'tom@example.com' } },
      after: { role: 'reviewer', granted: true, user: { email: 'tom@example.com' } },
    };
    const request = {
      ...diff,
      id: '00000000-0000-4000-8000-000000000001',
      diffSha256: '',
    } as unknown as Parameters<typeof computeDiffSha256>[0];
    expect(await computeDiffSha256(request)).toBe(diffSha256(diff).toString('hex'));
  });
});

describe('diffStates', () => {
  it('marks changed, added and removed fields', () => {
    const fields = diffStates(
      { granted: false, user: { id: 'u1', email: 'a@example.com' }, old: 1 },
      { granted: true, user: { id: 'u1', email: 'a@example.com' }, added: [1, 2] },
    );
    expect(fields).toEqual([
      { path: 'granted', before: 'false', after: 'true', changed: true },
      { path: 'user.id', before: '"u1"', after: '"u1"', changed: false },
      { path: 'user.email', before: '"a@example.com"', after: '"a@example.com"', changed: false },
      { path: 'added', before: undefined, after: '[1,2]', changed: true },
      { path: 'old', before: '1', after: undefined, changed: true },
    ]);
  });

  it('compares a null before state as one value', () => {
    expect(diffStates(null, { a: 1 })).toEqual([
      { path: 'a', before: undefined, after: '1', changed: true },
      { path: '(value)', before: 'null', after: undefined, changed: true },
    ]);
  });
});

describe('readProblem', () => {
  it('keeps a problem whose status member is a state', async () => {
    const body = {
      type: 'about:blank',
      title: 'Change request is stale',
      status: 'stale',
      code: 'CHANGE_REQUEST_STALE',
      detail: 'The target changed.',
      requestId: 'req-1',
    };
    const response = new Response(JSON.stringify(body), {
      status: 409,
      headers: { 'content-type': 'application/problem+json' },
    });
    const error = await readProblem('POST', '/api/v1/change-requests/x/approve', response);
    expect(error.status).toBe(409);
    expect(error.code).toBe('CHANGE_REQUEST_STALE');
    expect(error.detail).toBe('The target changed.');
    expect(error.requestId).toBe('req-1');
  });
});
