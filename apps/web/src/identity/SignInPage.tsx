import { Alert } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { MFA_ENROLMENT_PATH } from '../app/RequireSession.tsx';
import { Page } from '../shared/Page.tsx';
import { AuthLayout } from './AuthLayout.tsx';
import { accountKeys } from './account-queries.ts';
import type { SignedIn } from './identity-api.ts';
import { PasswordStep } from './PasswordStep.tsx';
import { type MfaChallenge, SecondFactorStep } from './SecondFactorStep.tsx';
import { SetupStatusHint } from './SetupStatusHint.tsx';
import { pathAfterSignIn, readSignInState } from './sign-in-notice.ts';

/** Sign-in: password first, then a second factor when the account has one. */
export function SignInPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { notice, from } = readSignInState(location);
  const [challenge, setChallenge] = useState<MfaChallenge | null>(null);

  const finish = (signedIn: SignedIn) => {
    queryClient.removeQueries({ queryKey: accountKeys.all });
    const target =
      signedIn.assurance === 'enrolment_only' ? MFA_ENROLMENT_PATH : pathAfterSignIn(from);
    navigate(target, { replace: true });
  };

  return (
    <AuthLayout>
      <Page title={challenge === null ? 'Sign in' : 'Confirm your sign-in'}>
        {challenge === null ? (
          <>
            {notice !== undefined && (
              <Alert color="blue" role="status">
                {notice}
              </Alert>
            )}
            <PasswordStep
              onResult={(result) =>
                result.status === 'signed_in' ? finish(result) : setChallenge(result)
              }
            />
            <SetupStatusHint />
          </>
        ) : (
          <SecondFactorStep
            challenge={challenge}
            onSignedIn={finish}
            onRestart={() => setChallenge(null)}
          />
        )}
      </Page>
    </AuthLayout>
  );
}
