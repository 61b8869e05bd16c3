import { Button, Tabs } from '@mantine/core';
import { recoveryCodeLoginInputSchema, totpLoginInputSchema } from '@peytonix/contracts';
import { useState } from 'react';
import { CodeForm } from './CodeForm.tsx';
import {
  finishSignInWithRecoveryCode,
  finishSignInWithTotp,
  type LoginResult,
  type SignedIn,
} from './identity-api.ts';
import { PasskeySignIn } from './PasskeySignIn.tsx';

export type MfaChallenge = Extract<LoginResult, { status: 'mfa_required' }>;
type SecondFactor = MfaChallenge['methods'][number];

const METHOD_LABELS: Record<SecondFactor, string> = {
  totp: 'Authenticator app',
  passkey: 'Passkey',
  recovery_code: 'Recovery code',
};

/** Second sign-in step: one tab for each factor that the server offers for this account. */
export function SecondFactorStep({
  challenge,
  onSignedIn,
  onRestart,
}: {
  challenge: MfaChallenge;
  onSignedIn: (signedIn: SignedIn) => void;
  onRestart: () => void;
}) {
  const { mfaToken, methods } = challenge;
  // The code field takes focus when the step appears, but not after the
  // user changes tabs, so arrow keys keep moving between the tabs.
  const [tabChanged, setTabChanged] = useState(false);
  return (
    <>
      <Tabs
        defaultValue={methods[0] ?? null}
        keepMounted={false}
        onChange={() => setTabChanged(true)}
      >
        <Tabs.List aria-label="Second factor">
          {methods.map((method) => (
            <Tabs.Tab key={method} value={method}>
              {METHOD_LABELS[method]}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        <Tabs.Panel value="totp" pt="md">
          <CodeForm
            label="6-digit code"
            description="The code that your authenticator app shows for Peytonix."
            schema={totpLoginInputSchema.shape.code}
            inputMode="numeric"
            autoComplete="one-time-code"
            submitLabel="Verify"
            submit={(code) => finishSignInWithTotp(mfaToken, code)}
            onSuccess={onSignedIn}
            focusOnMount={!tabChanged}
          />
        </Tabs.Panel>
        <Tabs.Panel value="passkey" pt="md">
          <PasskeySignIn mfaToken={mfaToken} onSignedIn={onSignedIn} />
        </Tabs.Panel>
        <Tabs.Panel value="recovery_code" pt="md">
          <CodeForm
            label="Recovery code"
            description="One of the recovery codes that you saved when you set up your second factor. Each code works once."
            schema={recoveryCodeLoginInputSchema.shape.code}
            inputMode="text"
            autoComplete="off"
            submitLabel="Use recovery code"
            submit={(code) => finishSignInWithRecoveryCode(mfaToken, code)}
            onSuccess={onSignedIn}
            focusOnMount={!tabChanged}
          />
        </Tabs.Panel>
      </Tabs>
      <Button variant="subtle" onClick={onRestart}>
        Start again with your password
      </Button>
    </>
  );
}
