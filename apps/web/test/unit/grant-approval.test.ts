import { describe, expect, it } from 'vitest';
import type { ChangeRequest } from '../../src/changes/change-requests-api.ts';
import { grantDecisionBlock } from '../../src/changes/grant-approval.ts';
import { type EntityInScope, toAccess } from '../../src/entities/entity-access.ts';

const ORG = '00000000-0000-4000-8000-000000000001';
const AP = '00000000-0000-4000-8000-000000000002';
const ME = '00000000-0000-4000-8000-00000000000a';
const TOM = '00000000-0000-4000-8000-00000000000b';

function entity(id: string, code: string, parentId: string | null): EntityInScope {
  return {
    id,
    parentId,
    type: parentId === null ? 'organization' : 'business_unit',
    code,
    name: code,
    status: 'active',
    createdAt: '2026-01-01T00:00:00.000Z',
    depth: parentId === null ? 0 : 1,
  };
}

const access = toAccess({
  entities: [entity(ORG, 'ORG', null), entity(AP, 'AP', ORG)],
  can: () => true,
  subtreeOf: (code) => new Set([code]),
});

function grantRequest(kind: string, userId: string, role: string): ChangeRequest {
  const state = { userId, userEmail: 'tom@example.com', role, entityId: AP, entityCode: 'AP' };
  return {
    id: '00000000-0000-4000-8000-0000000000ff',
    kind,
    entityId: AP,
    targetType: 'role_grant',
    targetKey: `${AP}/${userId}/${role}`,
    justification: 'Tom joins the payables team.',
    status: 'pending',
    requestedBy: ORG,
    requestedByType: 'user',
    requestedAt: '2026-01-01T00:00:00.000Z',
    expiresAt: '2026-01-08T00:00:00.000Z',
    decidedBy: null,
    decidedAt: null,
    decisionNote: null,
    appliedAt: null,
    before: { ...state, granted: false },
    after: { ...state, granted: true },
    diffSha256: '0'.repeat(64),
    approvedDiffSha256: null,
  } as ChangeRequest;
}

describe('grantDecisionBlock', () => {
  it('allows an administrator above the entity', () => {
    const request = grantRequest('grant.add', TOM, 'preparer');

    expect(
      grantDecisionBlock(request, ME, [{ entityId: ORG, role: 'administrator' }], access),
    ).toBeNull();
  });

  it('allows a holder of the same role', () => {
    const request = grantRequest('grant.revoke', TOM, 'reviewer');

    expect(
      grantDecisionBlock(request, ME, [{ entityId: AP, role: 'reviewer' }], access),
    ).toBeNull();
  });

  it('blocks a reviewer granting preparer', () => {
    const request = grantRequest('grant.add', TOM, 'preparer');

    const block = grantDecisionBlock(request, ME, [{ entityId: ORG, role: 'reviewer' }], access);

    expect(block).toContain('Deciding needs the role preparer or administrator on AP');
  });

  it('blocks a change to own grants', () => {
    const request = grantRequest('grant.add', ME, 'preparer');

    const block = grantDecisionBlock(
      request,
      ME,
      [{ entityId: ORG, role: 'administrator' }],
      access,
    );

    expect(block).toContain('your own role grants');
  });

  it('ignores other kinds', () => {
    const request = { ...grantRequest('grant.add', TOM, 'preparer'), kind: 'setting.update' };

    expect(grantDecisionBlock(request, ME, [], access)).toBeNull();
  });
});
