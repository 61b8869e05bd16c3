import { Button, Divider, Group, Stack, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useSignedInAccount } from '../app/signed-in-account.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { Page } from '../shared/Page.tsx';
import { AuthLayout } from './AuthLayout.tsx';
import { accountKeys } from './account-queries.ts';
import { beginTotpEnrolment } from './identity-api.ts';
import { PasskeyRegistration } from './PasskeyRegistration.tsx';
import { RecoveryCodesPanel } from './RecoveryCodesPanel.tsx';
import { TotpEnrolment, type TotpEnrolmentData } from './TotpEnrolment.tsx';
import { useSignOut } from './use-sign-out.ts';

type Step =
  | { kind: 'choose' }
  | { kind: 'totp'; enrolment: TotpEnrolmentData }
  | { kind: 'passkey' }
  | { kind: 'recovery-codes'; codes: string[] };

/**
 * Second-factor enrolment: an authenticator app (TOTP) or a passkey, then
 * the recovery codes, shown once. A session that signed in without a
 * factor reaches only this page until it enrols one.
 */
export function MfaEnrolmentPage() {
  const account = useSignedInAccount();
  const [step, setStep] = useState<Step>({ kind: 'choose' });
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const signOut = useSignOut();
  const begin = useMutation({
    mutationFn: beginTotpEnrolment,
    onSuccess: (enrolment) => setStep({ kind: 'totp', enrolment }),
  });
  const required = account.session?.assurance === 'enrolment_only';

  const finish = async () => {
    await queryClient.invalidateQueries({ queryKey: accountKeys.all });
    navigate(required ? '/' : '/account', { replace: true });
  };
  const afterFactor = (codes: string[] | null) =>
    codes === null ? void finish() : setStep({ kind: 'recovery-codes', codes });

  return (
    <AuthLayout width={560}>
      <Page
        title={step.kind === 'recovery-codes' ? 'Your recovery codes' : 'Set up a second factor'}
      >
        {step.kind === 'choose' && (
          <Stack>
            <Text>
              {required
                ? 'Your organization requires a second factor. Set one up to continue.'
                : 'Add a second factor to your account.'}
            </Text>
            {begin.isError && <ErrorAlert error={begin.error} title="Setup could not start" />}
            <Group>
              {!account.mfa.totp && (
                <Button onClick={() => begin.mutate()} loading={begin.isPending}>
                  Set up an authenticator app
                </Button>
              )}
              <Button variant="default" onClick={() => setStep({ kind: 'passkey' })}>
                Register a passkey
              </Button>
            </Group>
          </Stack>
        )}
        {step.kind === 'totp' && (
          <TotpEnrolment enrolment={step.enrolment} onConfirmed={afterFactor} />
        )}
        {step.kind === 'passkey' && <PasskeyRegistration onRegistered={afterFactor} />}
        {step.kind === 'recovery-codes' && (
          <RecoveryCodesPanel
            codes={step.codes}
            doneLabel="Continue"
            onDone={() => void finish()}
          />
        )}
        <Divider />
        <Group justify="space-between">
          <Text size="sm">Signed in as {account.email}</Text>
          <Button variant="subtle" size="xs" onClick={() => signOut.mutate()}>
            Sign out
          </Button>
        </Group>
        {signOut.isError && <ErrorAlert error={signOut.error} title="Sign-out failed" />}
      </Page>
    </AuthLayout>
  );
}
