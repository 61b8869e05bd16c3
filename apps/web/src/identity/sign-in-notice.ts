import type { Location } from 'react-router';

/** Navigation state that the sign-in page reads: a notice to show and the page to return to. */
export interface SignInState {
  notice?: string;
  from?: string;
}

export function readSignInState(location: Location): SignInState {
  const state: unknown = location.state;
  if (typeof state !== 'object' || state === null) return {};
  const notice = 'notice' in state && typeof state.notice === 'string' ? state.notice : undefined;
  const from = 'from' in state && typeof state.from === 'string' ? state.from : undefined;
  return {
    ...(notice === undefined ? {} : { notice }),
    ...(from === undefined ? {} : { from }),
  };
}

/**
 * Return the in-app path to open after signing in: `from` when it is a path
 * of this app (one leading slash, so never another origin), else `/`, which
 * sends the user on to the landing area their grants allow.
 */
export function pathAfterSignIn(from: string | undefined): string {
  if (from === undefined || !from.startsWith('/') || from.startsWith('//')) return '/';
  if (from.startsWith('/sign-in') || from.startsWith('/setup-password')) return '/';
  return from;
}
