import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import { heldRoles } from '../access/actor-scope.ts';
import { activeAdministratorExists, bootstrapAdministrator } from '../access/grants.repository.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { Actor } from './actor.ts';
import { findUserByEmail, insertSetupSecret, insertUser } from './users.repository.ts';

/** How long a setup secret from `admin create` stays valid. */
export const SETUP_SECRET_TTL_MS = 24 * 60 * 60 * 1000;

export const emailSchema = z
  .string()
  .trim()
  .max(320, { error: 'expected at most 320 characters' })
  .pipe(z.email({ error: 'expected an email address such as ana@example.com' }));

export interface FirstAdministrator {
  userId: string;
  email: string;
  organizationId: string;
  /** Shown once to the operator; only its SHA-256 is stored. */
  setupSecret: string;
  setupSecretExpiresAt: string;
}

export interface IdentityService {
  createFirstAdministrator(input: {
    email: string;
    displayName: string;
    organizationName: string;
    organizationCode: string;
  }): Promise<FirstAdministrator>;
  /** Resolve `--as EMAIL` to an acting user; only active users may act. */
  resolveCliActor(email: string): Promise<Actor>;
  isInitialized(): Promise<boolean>;
}

export function createIdentityService(deps: { db: Db; now?: () => Date }): IdentityService {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    async createFirstAdministrator(input) {
      const email = emailSchema.parse(input.email);
      const actor: Actor = { type: 'system', channel: 'cli' };

      return await db.transaction().execute(async (tx) => {
        // Serialize concurrent bootstraps, so two cannot both see "no administrator".
        await sql`SELECT pg_advisory_xact_lock(hashtext('peytonix.bootstrap'))`.execute(tx);

        if (await activeAdministratorExists(tx)) {
          throw new AppError('CONFLICT', {
            detail:
              'An active administrator already exists, and admin create only makes the first one. Ask an administrator to create the user and grant the role (peytonix admin grant while they are the only one who could approve it).',
          });
        }
        if (await findUserByEmail(tx, email)) {
          throw new AppError('CONFLICT', {
            detail: `A user with email ${email} already exists. Use another email address.`,
          });
        }

        // The user first, then the definer function that creates the root
        // (when missing) and grants it; nothing else writes outside a scope.
        const user = await insertUser(tx, { email, displayName: input.displayName });
        const bootstrap = await bootstrapAdministrator(tx, {
          userId: user.id,
          code: input.organizationCode,
          name: input.organizationName,
        });
        const organization = { id: bootstrap.entity_id };
        if (bootstrap.entity_created) {
          await appendAuditEvent(tx, {
            actor,
            action: 'entity.created',
            outcome: 'success',
            target: { type: 'entity', id: organization.id },
            entityId: organization.id,
            details: {
              type: 'organization',
              code: input.organizationCode,
              name: input.organizationName,
            },
          });
        }
        await appendAuditEvent(tx, {
          actor,
          action: 'user.created',
          outcome: 'success',
          target: { type: 'user', id: user.id },
          entityId: organization.id,
          details: { email: user.email, reason: 'first administrator' },
        });
        await appendAuditEvent(tx, {
          actor,
          action: 'access.grant_created',
          outcome: 'success',
          target: { type: 'role_grant', id: bootstrap.grant_id },
          entityId: organization.id,
          details: { userId: user.id, role: 'administrator' },
        });

        const setupSecret = randomBytes(32).toString('base64url');
        const stored = await insertSetupSecret(tx, {
          userId: user.id,
          sha256: createHash('sha256').update(setupSecret).digest(),
          expiresAt: new Date(now().getTime() + SETUP_SECRET_TTL_MS),
        });
        await appendAuditEvent(tx, {
          actor,
          action: 'identity.setup_secret_issued',
          outcome: 'success',
          target: { type: 'user', id: user.id },
          entityId: organization.id,
          details: { setupSecretId: stored.id },
        });

        return {
          userId: user.id,
          email: user.email,
          organizationId: organization.id,
          setupSecret,
          setupSecretExpiresAt: new Date(stored.expires_at).toISOString(),
        };
      });
    },

    async resolveCliActor(email) {
      const user = await findUserByEmail(db, email);
      if (user?.status !== 'active') {
        throw new AppError('UNAUTHENTICATED', {
          detail: `No active user has the email ${JSON.stringify(email)}. Check --as or PEYTONIX_AS.`,
        });
      }
      return {
        type: 'user',
        userId: user.id,
        email: user.email,
        channel: 'cli',
        heldRoles: await heldRoles(db, user.id),
      };
    },

    async isInitialized() {
      return await activeAdministratorExists(db);
    },
  };
}
