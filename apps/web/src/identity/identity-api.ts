import {
  accountSchema,
  loginResultSchema,
  passkeyCreationOptionsSchema,
  passkeyListSchema,
  passkeyRequestOptionsSchema,
  recoveryCodesSchema,
  registeredPasskeySchema,
  revokedSessionsSchema,
  sessionListSchema,
  type sessionSummarySchema,
  setupStatusSchema,
  signedInSchema,
  totpEnrolmentSchema,
} from '@peytonix/contracts';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/browser';
import type { z } from 'zod';
import { apiRequest } from '../api/client.ts';
import { forgetCsrfToken, rememberCsrfToken } from '../api/csrf.ts';

// Client functions for the identity routes (docs/security/identity.md).
// Browsers always ask for cookie delivery, so no token reaches JavaScript
// except the CSRF token.

export type Account = z.infer<typeof accountSchema>;
export type SessionSummary = z.infer<typeof sessionSummarySchema>;
export type SignedIn = z.infer<typeof signedInSchema>;
export type LoginResult = z.infer<typeof loginResultSchema>;

function remember<T extends { status: string; csrfToken?: string | null }>(result: T): T {
  if (result.status === 'signed_in') rememberCsrfToken(result.csrfToken ?? null);
  return result;
}

export async function signInWithPassword(email: string, password: string): Promise<LoginResult> {
  const result = await apiRequest('/api/v1/auth/login', {
    method: 'POST',
    body: { email, password, delivery: 'cookie' },
    schema: loginResultSchema,
  });
  return remember(result);
}

export async function finishSignInWithTotp(mfaToken: string, code: string): Promise<SignedIn> {
  const result = await apiRequest('/api/v1/auth/login/totp', {
    method: 'POST',
    body: { mfaToken, code, delivery: 'cookie' },
    schema: signedInSchema,
  });
  return remember(result);
}

export async function finishSignInWithRecoveryCode(
  mfaToken: string,
  code: string,
): Promise<SignedIn> {
  const result = await apiRequest('/api/v1/auth/login/recovery-code', {
    method: 'POST',
    body: { mfaToken, code, delivery: 'cookie' },
    schema: signedInSchema,
  });
  return remember(result);
}

export function requestPasskeySignInOptions(mfaToken: string) {
  return apiRequest('/api/v1/auth/login/passkey/options', {
    method: 'POST',
    body: { mfaToken },
    schema: passkeyRequestOptionsSchema,
  });
}

export async function finishSignInWithPasskey(
  mfaToken: string,
  response: AuthenticationResponseJSON,
): Promise<SignedIn> {
  const result = await apiRequest('/api/v1/auth/login/passkey', {
    method: 'POST',
    body: { mfaToken, response, delivery: 'cookie' },
    schema: signedInSchema,
  });
  return remember(result);
}

export async function signOut(): Promise<void> {
  await apiRequest('/api/v1/auth/logout', { method: 'POST' });
  forgetCsrfToken();
}

export function setFirstPassword(setupSecret: string, password: string): Promise<undefined> {
  return apiRequest('/api/v1/auth/setup', { method: 'POST', body: { setupSecret, password } });
}

export function getSetupStatus(signal?: AbortSignal) {
  return apiRequest('/api/v1/setup/status', {
    schema: setupStatusSchema,
    ...(signal === undefined ? {} : { signal }),
  });
}

export function getAccount(signal?: AbortSignal): Promise<Account> {
  return apiRequest('/api/v1/account', {
    schema: accountSchema,
    ...(signal === undefined ? {} : { signal }),
  });
}

export function beginTotpEnrolment() {
  return apiRequest('/api/v1/account/mfa/totp', { method: 'POST', schema: totpEnrolmentSchema });
}

export async function confirmTotpEnrolment(code: string): Promise<string[]> {
  const result = await apiRequest('/api/v1/account/mfa/totp/confirm', {
    method: 'POST',
    body: { code },
    schema: recoveryCodesSchema,
  });
  return result.recoveryCodes;
}

export async function replaceRecoveryCodes(): Promise<string[]> {
  const result = await apiRequest('/api/v1/account/mfa/recovery-codes', {
    method: 'POST',
    schema: recoveryCodesSchema,
  });
  return result.recoveryCodes;
}

export function requestPasskeyRegistrationOptions() {
  return apiRequest('/api/v1/account/passkeys/options', {
    method: 'POST',
    schema: passkeyCreationOptionsSchema,
  });
}

export function registerPasskey(response: RegistrationResponseJSON, name: string) {
  return apiRequest('/api/v1/account/passkeys', {
    method: 'POST',
    body: { response, name },
    schema: registeredPasskeySchema,
  });
}

export async function listPasskeys(signal?: AbortSignal) {
  const result = await apiRequest('/api/v1/account/passkeys', {
    schema: passkeyListSchema,
    ...(signal === undefined ? {} : { signal }),
  });
  return result.items;
}

export async function listSessions(signal?: AbortSignal): Promise<SessionSummary[]> {
  const result = await apiRequest('/api/v1/account/sessions', {
    schema: sessionListSchema,
    ...(signal === undefined ? {} : { signal }),
  });
  return result.items;
}

export function revokeSession(sessionId: string): Promise<undefined> {
  return apiRequest(`/api/v1/account/sessions/${encodeURIComponent(sessionId)}`, {
    method: 'DELETE',
  });
}

/** Revoke every session of the user, this one included; returns how many ended. */
export async function signOutEverywhere(): Promise<number> {
  const result = await apiRequest('/api/v1/account/sessions/revoke-all', {
    method: 'POST',
    schema: revokedSessionsSchema,
  });
  forgetCsrfToken();
  return result.revoked;
}
