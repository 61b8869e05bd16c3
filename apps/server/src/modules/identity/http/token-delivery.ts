import type {} from '@fastify/cookie';
import type { signedInSchema } from '@peytonix/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { AppError } from '../../../platform/http/app-error.ts';
import type { IssuedTokens } from '../sessions/session.service.ts';

/** Host-only, Secure, Path=/ by the __Host- prefix rules (RFC 6265bis), so no subdomain can set it. */
export const ACCESS_COOKIE = '__Host-peytonix-access';
/** Readable by the web app, which echoes it in X-CSRF-Token. */
export const CSRF_COOKIE = '__Host-peytonix-csrf';
/** Sent only to the refresh and logout routes. */
export const REFRESH_COOKIE = '__Secure-peytonix-refresh';
export const REFRESH_COOKIE_PATH = '/api/v1/auth';
export const CSRF_HEADER = 'x-csrf-token';

export type Delivery = 'cookie' | 'body';
export type SignedIn = z.infer<typeof signedInSchema>;

const baseCookie = { secure: true, sameSite: 'strict', httpOnly: true } as const;

/**
 * Deliver newly issued tokens. With cookies the body carries no token except
 * the CSRF token, which the web app sends back in a header. With `body` the
 * client stores the tokens itself and sends the access token as a Bearer
 * token, so no cookie is set.
 */
export function sendIssuedTokens(
  reply: FastifyReply,
  tokens: IssuedTokens,
  delivery: Delivery,
): SignedIn {
  const summary = {
    status: 'signed_in' as const,
    userId: tokens.userId,
    sessionId: tokens.sessionId,
    assurance: tokens.assurance,
    accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString(),
    sessionExpiresAt: tokens.sessionExpiresAt.toISOString(),
    csrfToken: tokens.csrfToken,
  };
  if (delivery === 'body') {
    return { ...summary, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
  }

  const sessionSeconds = Math.max(
    1,
    Math.floor((tokens.sessionExpiresAt.getTime() - Date.now()) / 1000),
  );
  const accessSeconds = Math.max(
    1,
    Math.floor((tokens.accessTokenExpiresAt.getTime() - Date.now()) / 1000),
  );
  reply.setCookie(ACCESS_COOKIE, tokens.accessToken, {
    ...baseCookie,
    path: '/',
    maxAge: accessSeconds,
  });
  reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, {
    ...baseCookie,
    path: REFRESH_COOKIE_PATH,
    maxAge: sessionSeconds,
  });
  if (tokens.csrfToken !== null) {
    reply.setCookie(CSRF_COOKIE, tokens.csrfToken, {
      ...baseCookie,
      httpOnly: false,
      path: '/',
      maxAge: sessionSeconds,
    });
  }
  return summary;
}

export function clearSessionCookies(reply: FastifyReply) {
  reply.clearCookie(ACCESS_COOKIE, { ...baseCookie, path: '/' });
  reply.clearCookie(REFRESH_COOKIE, { ...baseCookie, path: REFRESH_COOKIE_PATH });
  reply.clearCookie(CSRF_COOKIE, { ...baseCookie, httpOnly: false, path: '/' });
}

/**
 * Reject a cookie-delivered sign-in or refresh that a browser sent from
 * another origin. Browsers send Origin on every POST; `required` is set
 * where the request is authenticated by a cookie alone (refresh), and not
 * where a password or code in the body already proves intent.
 */
export function assertSameOrigin(request: FastifyRequest, publicOrigin: string, required: boolean) {
  const origin = request.headers.origin;
  if (origin === undefined ? !required : origin === publicOrigin) return;
  throw new AppError('CSRF_REJECTED', {
    detail: `A request that uses session cookies must come from ${publicOrigin}. Use delivery "body" outside the browser.`,
  });
}
