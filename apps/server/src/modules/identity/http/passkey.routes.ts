import {
  passkeyCreationOptionsSchema,
  passkeyListSchema,
  passkeyRequestOptionsSchema,
  registeredPasskeySchema,
  signedInSchema,
  tokenDeliverySchema,
} from '@peytonix/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { IdentityConfig } from '../../../platform/config/config.ts';
import type { Db } from '../../../platform/db/database.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import { requestContext } from '../../../platform/http/authentication.ts';
import { appendAuditEvent } from '../../audit-trail/audit-trail.service.ts';
import type { UserActor } from '../actor.ts';
import type { LoginService } from '../login/login.service.ts';
import {
  authenticationResponseSchema,
  credentialIdSchema,
  type PasskeyRejection,
  type PasskeyService,
  type PasskeySummary,
  passkeyNameSchema,
  registrationResponseSchema,
} from '../mfa/passkeys.ts';
import { countUnusedRecoveryCodes, replaceRecoveryCodes } from '../mfa/recovery-codes.ts';
import { upgradeSessionAssurance } from '../sessions/sessions.repository.ts';
import { assertSameOrigin, sendIssuedTokens } from './token-delivery.ts';

/** Dependencies of the passkey routes. AuthServices with `db` and `passkeys` added satisfies it as it is. */
export interface PasskeyRouteDeps {
  db: Db;
  login: LoginService;
  passkeys: PasskeyService;
  config: IdentityConfig;
}

// ---------------------------------------------------------------------------
// Request schemas. The response schemas live in @peytonix/contracts, which
// the web app parses with too.
// ---------------------------------------------------------------------------

const mfaToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, { error: 'expected the token as issued' });

const passkeyLoginOptionsInputSchema = z.strictObject({ mfaToken });

const passkeyLoginInputSchema = z.strictObject({
  mfaToken,
  response: authenticationResponseSchema,
  delivery: tokenDeliverySchema,
});

const passkeyRegistrationInputSchema = z.strictObject({
  response: registrationResponseSchema,
  name: passkeyNameSchema,
});

function toPasskey(passkey: PasskeySummary) {
  return {
    credentialId: passkey.credentialId,
    name: passkey.name,
    deviceType: passkey.deviceType,
    backedUp: passkey.backedUp,
    transports: passkey.transports,
    createdAt: passkey.createdAt.toISOString(),
    lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
  };
}

function registrationError(reasonCode: PasskeyRejection): AppError {
  switch (reasonCode) {
    case 'credential_already_registered':
      return new AppError('CONFLICT', {
        detail:
          'This passkey is already registered. Use it to sign in, or register a different one.',
        extensions: { reasonCode },
      });
    case 'passkey_limit_reached':
      return new AppError('BUSINESS_RULE_VIOLATED', {
        detail:
          'This account already has the maximum number of passkeys. Remove one before adding another.',
        extensions: { reasonCode },
      });
    default:
      return new AppError('VALIDATION_FAILED', {
        detail: `The passkey registration was rejected (${reasonCode}). Request new options from POST /api/v1/account/passkeys/options and try again.`,
        extensions: { reasonCode },
      });
  }
}

// ---------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------

/** Passkey sign-in (public) and passkey management of the signed-in user. */
export function registerPasskeyRoutes(app: FastifyInstance, deps: PasskeyRouteDeps) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const { db, login, passkeys } = deps;

  const sessionActor = async (request: FastifyRequest): Promise<UserActor> => {
    const actor = await app.requireActor(request);
    if (actor.type !== 'user' || actor.credential?.kind !== 'session') {
      throw new AppError('FORBIDDEN', {
        detail: 'Passkeys are managed from a signed-in session; API tokens cannot call this route.',
      });
    }
    return actor;
  };
  const enrolment = {
    onRequest: app.authenticate,
    config: { allowEnrolmentOnly: true, permission: 'self' },
  };
  const signedIn = { onRequest: app.authenticate, config: { permission: 'self' } };

  routes.post(
    '/api/v1/auth/login/passkey/options',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['authentication'],
        summary: 'Start the passkey step of a sign-in',
        description:
          'Returns options for navigator.credentials.get() that allow the passkeys of the user behind mfaToken. A new call replaces the previous challenge.',
        body: passkeyLoginOptionsInputSchema,
        response: { 200: passkeyRequestOptionsSchema },
      },
    },
    async (request) => {
      const challenge = await login.challengeUser(request.body.mfaToken);
      if (challenge === null) {
        throw new AppError('INVALID_CREDENTIALS', {
          detail: 'The sign-in step expired or is not valid. Sign in with your password again.',
        });
      }
      const options = await db
        .transaction()
        .execute((tx) => passkeys.authenticationOptions(tx, challenge.userId));
      if (options === null) {
        throw new AppError('BUSINESS_RULE_VIOLATED', {
          detail: 'This account has no passkey. Finish the sign-in with another second factor.',
        });
      }
      return options;
    },
  );

  routes.post(
    '/api/v1/auth/login/passkey',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['authentication'],
        summary: 'Finish sign-in with a passkey',
        description:
          'The response from navigator.credentials.get(), as PublicKeyCredential.toJSON() gives it. Each challenge is accepted once, and a signature counter that does not increase is rejected.',
        body: passkeyLoginInputSchema,
        response: { 200: signedInSchema },
      },
    },
    async (request, reply) => {
      const { response, delivery } = request.body;
      if (delivery === 'cookie') assertSameOrigin(request, deps.config.publicOrigin, false);
      const tokens = await login.completeSecondFactor(
        request.body.mfaToken,
        'passkey',
        requestContext(request),
        (tx, userId) => passkeys.verifyAssertion(tx, userId, response),
      );
      return sendIssuedTokens(reply, tokens, delivery);
    },
  );

  routes.post(
    '/api/v1/account/passkeys/options',
    {
      ...enrolment,
      schema: {
        tags: ['account'],
        summary: 'Start registering a passkey',
        description:
          'Returns options for navigator.credentials.create(). An enrolment-only session may call it.',
        response: { 200: passkeyCreationOptionsSchema },
      },
    },
    async (request) => {
      const actor = await sessionActor(request);
      return await db.transaction().execute(async (tx) => {
        const user = await tx
          .selectFrom('users')
          .select(['id', 'email', 'display_name'])
          .where('id', '=', actor.userId)
          .executeTakeFirstOrThrow();
        return await passkeys.registrationOptions(tx, {
          id: user.id,
          email: user.email,
          displayName: user.display_name,
        });
      });
    },
  );

  routes.post(
    '/api/v1/account/passkeys',
    {
      ...enrolment,
      schema: {
        tags: ['account'],
        summary: 'Register a passkey',
        description:
          'The response from navigator.credentials.create(), as PublicKeyCredential.toJSON() gives it. An enrolment-only session becomes a full one. When the account has no unused recovery codes, ten are returned, shown once.',
        body: passkeyRegistrationInputSchema,
        response: { 201: registeredPasskeySchema },
      },
    },
    async (request, reply) => {
      const actor = await sessionActor(request);
      const context = requestContext(request);
      // The transaction commits on a rejection too, so the challenge stays spent.
      const result = await db.transaction().execute(async (tx) => {
        const registration = await passkeys.register(
          tx,
          actor.userId,
          request.body.response,
          request.body.name,
          {
            actor,
            context,
          },
        );
        if (!registration.ok) return registration;

        if (
          actor.credential?.kind === 'session' &&
          actor.credential.assurance === 'enrolment_only'
        ) {
          await upgradeSessionAssurance(tx, actor.credential.sessionId, 'passkey');
        }
        let recoveryCodes: string[] | null = null;
        if ((await countUnusedRecoveryCodes(tx, actor.userId)) === 0) {
          recoveryCodes = await replaceRecoveryCodes(tx, actor.userId);
          await appendAuditEvent(tx, {
            actor,
            action: 'auth.recovery_codes_generated',
            outcome: 'success',
            target: { type: 'user', id: actor.userId },
            context,
            details: {
              count: recoveryCodes.length,
              previousUnused: 0,
              trigger: 'passkey_enrolled',
            },
          });
        }
        return { ...registration, recoveryCodes };
      });

      if (!result.ok) throw registrationError(result.reasonCode);
      return reply
        .code(201)
        .send({ passkey: toPasskey(result.passkey), recoveryCodes: result.recoveryCodes });
    },
  );

  routes.get(
    '/api/v1/account/passkeys',
    {
      ...signedIn,
      schema: {
        tags: ['account'],
        summary: 'Your passkeys',
        response: { 200: passkeyListSchema },
      },
    },
    async (request) => {
      const actor = await sessionActor(request);
      return { items: (await passkeys.list(actor.userId)).map(toPasskey) };
    },
  );

  routes.delete(
    '/api/v1/account/passkeys/:credentialId',
    {
      ...signedIn,
      schema: {
        tags: ['account'],
        summary: 'Remove one of your passkeys',
        params: z.strictObject({ credentialId: credentialIdSchema }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const actor = await sessionActor(request);
      const removed = await db.transaction().execute((tx) =>
        passkeys.remove(tx, actor.userId, request.params.credentialId, {
          actor,
          context: requestContext(request),
        }),
      );
      if (!removed) {
        throw new AppError('RESOURCE_NOT_FOUND', {
          detail: `You have no passkey with id ${request.params.credentialId}. List them with GET /api/v1/account/passkeys.`,
        });
      }
      return reply.code(204).send(null);
    },
  );
}
