import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { onSessionEnded } from '../api/client.ts';
import type { SignInState } from '../identity/sign-in-notice.ts';

const PUBLIC_PATHS = ['/sign-in', '/setup-password'];

/**
 * Open the sign-in page when a request finds the session ended (revoked,
 * expired, or signed out in another tab), and return to this page afterwards.
 */
export function SessionEndedWatcher() {
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();

  useEffect(
    () =>
      onSessionEnded(() => {
        if (PUBLIC_PATHS.includes(location.pathname)) return;
        queryClient.clear();
        const state: SignInState = {
          notice: 'Your session has ended. Sign in again.',
          from: `${location.pathname}${location.search}`,
        };
        navigate('/sign-in', { replace: true, state });
      }),
    [navigate, location.pathname, location.search, queryClient],
  );
  return null;
}
