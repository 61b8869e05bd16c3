import type { Logger } from 'pino';
import type { IdentityConfig } from '../../platform/config/config.ts';
import type { Db } from '../../platform/db/database.ts';
import type { DataKeyProvider } from '../../platform/keys/data-key-provider.ts';
import type { AccessControl } from '../access/access-control.ts';
import type { SecurityEvents } from '../audit-trail/security-events.ts';
import { type AccountService, createAccountService } from './account/account.service.ts';
import { type ApiTokenService, createApiTokenService } from './api-tokens/api-tokens.service.ts';
import { createLoginService, type LoginService } from './login/login.service.ts';
import type { ThrottlePolicy } from './login/login-throttle.ts';
import { createPasskeyService, type PasskeyService } from './mfa/passkeys.ts';
import { createPasswordHasher, type PasswordHasher } from './passwords/password-hasher.ts';
import { type AccessTokens, createAccessTokens } from './sessions/access-tokens.ts';
import { createSessionService, type SessionService } from './sessions/session.service.ts';
import { createSessionKeyRing, type SessionKeyRing } from './sessions/session-signing-keys.ts';
import { createUserAdminService, type UserAdminService } from './users/user-admin.service.ts';

/** Sign-in, sessions, second factors, API tokens and user administration. */
export interface AuthServices {
  config: IdentityConfig;
  dataKeys: () => Promise<DataKeyProvider>;
  passwords: PasswordHasher;
  keyRing: SessionKeyRing;
  accessTokens: AccessTokens;
  sessions: SessionService;
  login: LoginService;
  account: AccountService;
  apiTokens: ApiTokenService;
  users: UserAdminService;
  passkeys: PasskeyService;
  db: Db;
}

export function createAuthServices(deps: {
  db: Db;
  logger: Logger;
  identity: IdentityConfig;
  dataKeys: () => Promise<DataKeyProvider>;
  securityEvents: SecurityEvents;
  access: AccessControl;
  throttlePolicy?: ThrottlePolicy;
}): AuthServices {
  const { db, logger, identity, securityEvents } = deps;
  const passwords = createPasswordHasher(identity.password);
  const keyRing = createSessionKeyRing({
    db,
    dataKeys: deps.dataKeys,
    accessTokenTtlMs: identity.accessTokenTtlMs,
  });
  const accessTokens = createAccessTokens({
    keyRing,
    issuer: identity.publicOrigin,
    ttlMs: identity.accessTokenTtlMs,
  });
  const sessions = createSessionService({ db, logger, identity, accessTokens, securityEvents });
  const login = createLoginService({
    db,
    logger,
    identity,
    passwords,
    sessions,
    securityEvents,
    ...(deps.throttlePolicy ? { throttlePolicy: deps.throttlePolicy } : {}),
  });

  return {
    config: identity,
    dataKeys: deps.dataKeys,
    passwords,
    keyRing,
    accessTokens,
    sessions,
    login,
    account: createAccountService({
      db,
      passwords,
      dataKeys: deps.dataKeys,
      reauthenticate: login.verifyCurrentPassword,
    }),
    apiTokens: createApiTokenService({ db }),
    users: createUserAdminService({ db, access: deps.access }),
    passkeys: createPasskeyService({ db, identity, logger }),
    db,
  };
}
