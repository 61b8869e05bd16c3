import { createHash } from 'node:crypto';
import pg from 'pg';
import { sealPendingEvents } from '../../src/modules/audit-trail/sealing/seal-pending.ts';
import type { Actor } from '../../src/modules/identity/actor.ts';
import { canonicalize } from '../../src/platform/json/jcs.ts';
import type { TestApp } from './test-app.ts';

/**
 * The organization the governance tests share:
 *
 *   ORG (organization)
 *   ├── AP (business unit) ── AP-ENG (engagement)
 *   └── AR (business unit)
 *
 * ada and bob administer ORG, rita reviews ORG, mia manages ORG, carl
 * administers AP only, pat prepares on AP, and otto holds no grant.
 */
export const USERS = {
  ada: 'ada@example.com',
  bob: 'bob@example.com',
  rita: 'rita@example.com',
  mia: 'mia@example.com',
  carl: 'carl@example.com',
  pat: 'pat@example.com',
  otto: 'otto@example.com',
} as const;

export type UserName = keyof typeof USERS;

export type EntityCode = 'ORG' | 'AP' | 'AP-ENG' | 'AR';

export interface Organization {
  /** Superuser connection for fixtures and for reading the audit trail; bypasses row-level security. */
  owner: pg.Client;
  userIds: Record<UserName, string>;
  entityIds: Record<EntityCode, string>;
  /** The user as a service-level actor. */
  actor(name: UserName): Actor;
}

export async function connectOwner(ownerUrl: string): Promise<pg.Client> {
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  return owner;
}

export async function insertUser(owner: pg.Client, email: string): Promise<string> {
  const result = await owner.query<{ id: string }>(
    'INSERT INTO users (email, display_name) VALUES ($1, $1) RETURNING id',
    [email],
  );
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error(`user ${email} was not inserted`);
  return id;
}

export async function insertEntity(
  owner: pg.Client,
  entity: { code: string; type: string; parentId: string },
): Promise<string> {
  const result = await owner.query<{ id: string }>(
    'INSERT INTO entities (parent_id, type, code, name) VALUES ($1, $2, $3, $3) RETURNING id',
    [entity.parentId, entity.type, entity.code],
  );
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error(`entity ${entity.code} was not inserted`);
  return id;
}

/** Grant a role directly, as test setup; the product grants roles only through change requests. */
export async function insertGrant(
  owner: pg.Client,
  grant: { userId: string; role: string; entityId: string },
): Promise<string> {
  const result = await owner.query<{ id: string }>(
    'INSERT INTO role_grants (user_id, role, entity_id) VALUES ($1, $2, $3) RETURNING id',
    [grant.userId, grant.role, grant.entityId],
  );
  const id = result.rows[0]?.id;
  if (id === undefined) throw new Error('grant was not inserted');
  return id;
}

export async function seedOrganization(testApp: TestApp, ownerUrl: string): Promise<Organization> {
  const first = await testApp.services.identity.createFirstAdministrator({
    email: USERS.ada,
    displayName: 'Ada',
    organizationName: 'Example Group',
    organizationCode: 'ORG',
  });
  const owner = await connectOwner(ownerUrl);

  const org = first.organizationId;
  const ap = await insertEntity(owner, { code: 'AP', type: 'business_unit', parentId: org });
  const apEngagement = await insertEntity(owner, {
    code: 'AP-ENG',
    type: 'engagement',
    parentId: ap,
  });
  const ar = await insertEntity(owner, { code: 'AR', type: 'business_unit', parentId: org });
  const entityIds: Record<EntityCode, string> = {
    ORG: org,
    AP: ap,
    'AP-ENG': apEngagement,
    AR: ar,
  };

  const userIds = { ada: first.userId } as Record<UserName, string>;
  for (const name of ['bob', 'rita', 'mia', 'carl', 'pat', 'otto'] as const) {
    userIds[name] = await insertUser(owner, USERS[name]);
  }
  const grants: [UserName, string, string][] = [
    ['bob', 'administrator', org],
    ['rita', 'reviewer', org],
    ['mia', 'management', org],
    ['carl', 'administrator', ap],
    ['pat', 'preparer', ap],
  ];
  for (const [name, role, entityId] of grants) {
    await insertGrant(owner, { userId: userIds[name], role, entityId });
  }

  return {
    owner,
    userIds,
    entityIds,
    actor: (name) => ({ type: 'user', userId: userIds[name], email: USERS[name], channel: 'api' }),
  };
}

export interface AuditRow {
  action: string;
  outcome: string;
  reason_code: string | null;
  actor_type: string;
  actor_id: string | null;
  on_behalf_of: string | null;
  target_type: string | null;
  target_id: string | null;
  entity_id: string | null;
  details: Record<string, unknown>;
}

/** Seal what is pending, then read the audit events with `action`, oldest first. */
export async function auditEvents(
  testApp: TestApp,
  owner: pg.Client,
  action: string,
): Promise<AuditRow[]> {
  await sealPendingEvents(testApp.database.db);
  const result = await owner.query<AuditRow>(
    `SELECT action, outcome, reason_code, actor_type, actor_id, on_behalf_of,
            target_type, target_id, entity_id, details
     FROM audit_events WHERE action = $1 ORDER BY seq`,
    [action],
  );
  return result.rows;
}

/** Compute the diff hash as a client would: SHA-256 of the canonical JSON of kind, target key and states. */
export function expectedDiffSha256(request: {
  kind: string;
  targetKey: string;
  before: unknown;
  after: unknown;
}): string {
  const canonical = canonicalize({
    kind: request.kind,
    targetKey: request.targetKey,
    before: request.before,
    after: request.after,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/**
 * Move a request's times into the past, so it has expired. The table's
 * trigger forbids changing expires_at, so the superuser skips triggers for
 * this one statement.
 */
export async function backdateChangeRequest(owner: pg.Client, id: string): Promise<void> {
  await owner.query('BEGIN');
  try {
    await owner.query('SET LOCAL session_replication_role = replica');
    await owner.query(
      `UPDATE change_requests
       SET requested_at = now() - interval '10 days', expires_at = now() - interval '1 day'
       WHERE id = $1`,
      [id],
    );
    await owner.query('COMMIT');
  } catch (error) {
    await owner.query('ROLLBACK');
    throw error;
  }
}
