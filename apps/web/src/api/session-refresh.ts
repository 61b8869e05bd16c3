import { signedInSchema } from '@peytonix/contracts';
import { rememberCsrfToken } from './csrf.ts';

const REFRESH_PATH = '/api/v1/auth/refresh';
/** Name of the Web Lock that serializes refreshes across the tabs of this origin. */
const REFRESH_LOCK = 'peytonix-session-refresh';

let inFlight: Promise<boolean> | undefined;
/** Counts the refreshes of this tab that succeeded. */
let generation = 0;

/**
 * Return the number of successful refreshes so far. A request that records
 * it before sending, and gets a 401 after a refresh has since succeeded,
 * was only sent with the old cookie and can be repeated without another.
 */
export function refreshGeneration(): number {
  return generation;
}

async function postRefresh(): Promise<boolean> {
  let response: Response;
  try {
    response = await fetch(REFRESH_PATH, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ delivery: 'cookie' }),
    });
  } catch {
    return false;
  }
  if (!response.ok) return false;

  const body = signedInSchema.safeParse(await response.json().catch(() => undefined));
  if (body.success) {
    rememberCsrfToken(body.data.csrfToken);
    generation += 1;
  }
  return body.success;
}

async function postRefreshHoldingLock(locks: LockManager): Promise<boolean> {
  let refreshed = false;
  await locks.request(REFRESH_LOCK, async () => {
    refreshed = await postRefresh();
  });
  return refreshed;
}

/**
 * Exchange the refresh cookie for new session cookies, and resolve true on
 * success. The server revokes the whole session when one refresh token is
 * presented twice. So concurrent callers in this tab share one request, and
 * tabs take turns through a Web Lock. A tab that waited then sends the
 * cookie that the previous refresh rotated, not the spent one.
 */
export function refreshSession(): Promise<boolean> {
  if (inFlight === undefined) {
    const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
    const refresh = locks === undefined ? postRefresh() : postRefreshHoldingLock(locks);
    inFlight = refresh.finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }
  return inFlight;
}
