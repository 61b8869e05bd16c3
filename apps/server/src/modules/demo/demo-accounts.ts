import { createHash, randomBytes } from 'node:crypto';
import { inScope } from '../../platform/db/actor-scope.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { Services } from '../../services.ts';
import { rolesOnEntity } from '../access/actor-scope.ts';
import { insertGrant, type Role } from '../access/grants.repository.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import { findEntityByCode, findRootEntity, insertEntity } from '../entities/entities.repository.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import { SETUP_SECRET_TTL_MS } from '../identity/identity.service.ts';
import { findPasswordProblem } from '../identity/passwords/password-policy.ts';
import { findUserByEmail, insertSetupSecret, insertUser } from '../identity/users.repository.ts';
import {
  DEMO_BUSINESS_UNIT,
  DEMO_ENGAGEMENT,
  DEMO_ORGANIZATION,
  DEMO_USERS,
  type DemoUser,
} from './demo-plan.ts';

const SEED_REASON = 'demo seed';

/** Runs one transaction in the demo administrator's scope. */
type Scoped = <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;

export interface EntityOutcome {
  id: string;
  code: string;
  type: string;
  name: string;
  created: boolean;
}

export interface UserOutcome {
  email: string;
  role: Role;
  userId: string;
  status: string;
  created: boolean;
  grantCreated: boolean;
  /** The password set by this run, to be shown once, or null when this run set none. */
  password: string | null;
  /** Whether the user has a password after this run, set now or earlier. */
  hasPassword: boolean;
}

export interface DemoAccounts {
  organization: EntityOutcome;
  businessUnit: EntityOutcome;
  engagement: EntityOutcome;
  users: UserOutcome[];
}

function toOutcome(
  row: { id: string; code: string; type: string; name: string },
  created: boolean,
): EntityOutcome {
  return { id: row.id, code: row.code, type: row.type, name: row.name, created };
}

/** Find the entity with this code below `parentId`, or create it. An entity with the code elsewhere is a conflict. */
async function ensureEntity(
  scoped: Scoped,
  seedActor: Actor,
  parentId: string,
  spec: { code: string; type: 'business_unit' | 'engagement'; name: string },
  context: RequestContext,
): Promise<EntityOutcome> {
  const existing = await scoped((tx) => findEntityByCode(tx, spec.code));
  if (existing !== undefined) {
    if (existing.type !== spec.type || existing.parent_id !== parentId) {
      throw new AppError('CONFLICT', {
        detail: `Entity ${existing.code} exists as a ${existing.type} elsewhere in the tree, so the demo cannot use it as its ${spec.type}. Rename that entity, or seed the demo into another database.`,
      });
    }
    return toOutcome(existing, false);
  }
  const created = await scoped(async (tx) => {
    const row = await insertEntity(tx, {
      parentId,
      type: spec.type,
      code: spec.code,
      name: spec.name,
    });
    await appendAuditEvent(tx, {
      actor: seedActor,
      action: 'entity.created',
      outcome: 'success',
      target: { type: 'entity', id: row.id },
      entityId: row.id,
      context,
      details: { parentId, type: row.type, code: row.code, name: row.name, reason: SEED_REASON },
    });
    return row;
  });
  return toOutcome(created, true);
}

/** Create a demo user and a setup secret for them, and return both. */
async function createUser(
  db: Db,
  seedActor: Actor,
  spec: DemoUser,
  organizationId: string,
  context: RequestContext,
): Promise<{ userId: string; setupSecret: string }> {
  return await db.transaction().execute(async (tx) => {
    const user = await insertUser(tx, { email: spec.email, displayName: spec.displayName });
    await appendAuditEvent(tx, {
      actor: seedActor,
      action: 'user.created',
      outcome: 'success',
      target: { type: 'user', id: user.id },
      entityId: organizationId,
      context,
      details: { email: user.email, displayName: user.display_name, reason: SEED_REASON },
    });
    const setupSecret = await issueSetupSecret(tx, seedActor, user.id, organizationId, context);
    return { userId: user.id, setupSecret };
  });
}

/** Issue a one-time setup secret and store only its SHA-256. */
async function issueSetupSecret(
  tx: Tx,
  seedActor: Actor,
  userId: string,
  organizationId: string,
  context: RequestContext,
): Promise<string> {
  const setupSecret = randomBytes(32).toString('base64url');
  const stored = await insertSetupSecret(tx, {
    userId,
    sha256: createHash('sha256').update(setupSecret).digest(),
    expiresAt: new Date(Date.now() + SETUP_SECRET_TTL_MS),
  });
  await appendAuditEvent(tx, {
    actor: seedActor,
    action: 'identity.setup_secret_issued',
    outcome: 'success',
    target: { type: 'user', id: userId },
    entityId: organizationId,
    context,
    details: { setupSecretId: stored.id, reason: SEED_REASON },
  });
  return setupSecret;
}

/** Grant `role` on `entityId` unless the user already has that grant, and return whether it was created. */
async function ensureGrant(
  scoped: Scoped,
  seedActor: Actor,
  userId: string,
  role: Role,
  entityId: string,
  context: RequestContext,
): Promise<boolean> {
  const existing = await scoped((tx) =>
    tx
      .selectFrom('role_grants')
      .select('id')
      .where('user_id', '=', userId)
      .where('role', '=', role)
      .where('entity_id', '=', entityId)
      .executeTakeFirst(),
  );
  if (existing !== undefined) return false;
  await scoped(async (tx) => {
    const grant = await insertGrant(tx, { userId, role, entityId, grantedBy: null });
    await appendAuditEvent(tx, {
      actor: seedActor,
      action: 'access.grant_created',
      outcome: 'success',
      target: { type: 'role_grant', id: grant.id },
      entityId,
      context,
      details: { userId, role, reason: SEED_REASON },
    });
  });
  return true;
}

async function hasPassword(db: Db, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('password_credentials')
    .select('user_id')
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Generate a random password of 24 base64url characters (144 bits) that the password policy accepts. */
function generatePassword(spec: DemoUser): string {
  for (let attempt = 0; attempt < 10; attempt++) {
    const candidate = randomBytes(18).toString('base64url');
    if (findPasswordProblem(candidate, spec) === null) return candidate;
  }
  throw new Error(`No generated password passed the password policy for ${spec.email}.`);
}

/**
 * Make sure the organization root, the demo business unit and engagement,
 * and one active user per role exist, each user with a grant of their role
 * on the business unit and a password. Creates only what is missing.
 *
 * On a database without an administrator, the demo administrator becomes
 * the first one through `createFirstAdministrator`, which also creates the
 * organization root if there is none. A password is generated and set,
 * through a one-time setup secret, only for a demo user who has none yet,
 * and the caller shows it once. Users that are not active are left as they are.
 */
export async function ensureDemoAccounts(
  services: Services,
  db: Db,
  context: RequestContext,
): Promise<DemoAccounts> {
  const administratorSpec = DEMO_USERS.find((user) => user.role === 'administrator');
  if (administratorSpec === undefined) throw new Error('DEMO_USERS lacks an administrator');

  const firstAdministrator = (await services.identity.isInitialized())
    ? null
    : await services.identity.createFirstAdministrator({
        email: administratorSpec.email,
        displayName: administratorSpec.displayName,
        organizationName: DEMO_ORGANIZATION.name,
        organizationCode: DEMO_ORGANIZATION.code,
      });

  // The seed acts as the demo administrator, in that user's scope, so it
  // writes nothing that the administrator could not see. It needs the
  // administrator role on the organization root.
  const administrator = await findUserByEmail(db, administratorSpec.email);
  const seedActor: Actor | null =
    administrator?.status === 'active'
      ? { type: 'user', userId: administrator.id, email: administrator.email, channel: 'cli' }
      : null;
  const scoped: Scoped = (work) =>
    inScope(db, seedActor?.type === 'user' ? seedActor.userId : null, work);
  const root = await scoped(async (tx) => {
    const visible = await findRootEntity(tx);
    if (visible === undefined) return undefined;
    return (await rolesOnEntity(tx, visible.id)).includes('administrator') ? visible : undefined;
  });
  if (seedActor === null || root === undefined) {
    throw new AppError('BUSINESS_RULE_VIOLATED', {
      detail: `The demo seeds as ${administratorSpec.email}, which must be an active administrator of the organization root. This database has another first administrator; seed the demo into a new data directory or database.`,
    });
  }
  const organization = toOutcome(root, firstAdministrator !== null);
  const businessUnit = await ensureEntity(scoped, seedActor, root.id, DEMO_BUSINESS_UNIT, context);
  const engagement = await ensureEntity(
    scoped,
    seedActor,
    businessUnit.id,
    DEMO_ENGAGEMENT,
    context,
  );

  const users: UserOutcome[] = [];
  for (const spec of DEMO_USERS) {
    let setupSecret: string | null = null;
    let created = false;
    if (firstAdministrator !== null && spec.email === administratorSpec.email) {
      setupSecret = firstAdministrator.setupSecret;
      created = true;
    } else if ((await findUserByEmail(db, spec.email)) === undefined) {
      setupSecret = (await createUser(db, seedActor, spec, root.id, context)).setupSecret;
      created = true;
    }
    const user = await findUserByEmail(db, spec.email);
    if (user === undefined) throw new Error(`demo user ${spec.email} was not found after creation`);

    // The demo administrator already administers the root, which covers
    // the business unit, and no one may grant themselves a role.
    const grantCreated =
      user.id === seedActor.userId
        ? firstAdministrator !== null
        : await ensureGrant(scoped, seedActor, user.id, spec.role, businessUnit.id, context);
    let password: string | null = null;
    const passwordSetEarlier = await hasPassword(db, user.id);
    if (user.status === 'active' && !passwordSetEarlier) {
      setupSecret ??= await db
        .transaction()
        .execute((tx) => issueSetupSecret(tx, seedActor, user.id, root.id, context));
      password = generatePassword(spec);
      await services.auth.account.setPasswordWithSetupSecret(setupSecret, password, context);
    }
    users.push({
      email: user.email,
      role: spec.role,
      userId: user.id,
      status: user.status,
      created,
      grantCreated,
      password,
      hasPassword: passwordSetEarlier || password !== null,
    });
  }
  return { organization, businessUnit, engagement, users };
}
