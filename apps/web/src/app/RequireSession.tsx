import { Center, Loader } from '@mantine/core';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { isApiError } from '../api/api-error.ts';
import { useAccount } from '../identity/account-queries.ts';
import type { SignInState } from '../identity/sign-in-notice.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { SignedInAccountContext } from './signed-in-account.ts';

export const MFA_ENROLMENT_PATH = '/mfa/enrol';

/**
 * Render `children` with the signed-in account, which they read with
 * useSignedInAccount. Without a session it opens
 * the sign-in page, which returns here afterwards. A session that may only
 * enrol a second factor goes to the enrolment page unless `allowEnrolmentOnly`.
 */
export function RequireSession({
  children,
  allowEnrolmentOnly = false,
}: {
  children: ReactNode;
  allowEnrolmentOnly?: boolean;
}) {
  const location = useLocation();
  const account = useAccount();

  if (account.isPending) {
    return (
      <Center h="100vh" component="main">
        <Loader aria-label="Loading your account" />
      </Center>
    );
  }
  if (account.isError) {
    if (isApiError(account.error) && account.error.isUnauthenticated) {
      const state: SignInState = { from: `${location.pathname}${location.search}` };
      return <Navigate to="/sign-in" replace state={state} />;
    }
    return (
      <Center h="100vh" component="main" p="md">
        <ErrorAlert error={account.error} title="Your account could not be loaded" />
      </Center>
    );
  }
  if (!allowEnrolmentOnly && account.data.session?.assurance === 'enrolment_only') {
    return <Navigate to={MFA_ENROLMENT_PATH} replace />;
  }
  return (
    <SignedInAccountContext.Provider value={account.data}>
      {children}
    </SignedInAccountContext.Provider>
  );
}
