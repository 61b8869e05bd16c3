import { Button, Stack, Text } from '@mantine/core';
import { startAuthentication } from '@simplewebauthn/browser';
import { useMutation } from '@tanstack/react-query';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import {
  finishSignInWithPasskey,
  requestPasskeySignInOptions,
  type SignedIn,
} from './identity-api.ts';

async function signInWithPasskey(mfaToken: string): Promise<SignedIn> {
  const optionsJSON = await requestPasskeySignInOptions(mfaToken);
  const response = await startAuthentication({ optionsJSON });
  return await finishSignInWithPasskey(mfaToken, response);
}

/** Second factor by passkey: the browser asks the authenticator to sign the server's challenge. */
export function PasskeySignIn({
  mfaToken,
  onSignedIn,
}: {
  mfaToken: string;
  onSignedIn: (signedIn: SignedIn) => void;
}) {
  const mutation = useMutation({ mutationFn: signInWithPasskey, onSuccess: onSignedIn });
  return (
    <Stack>
      {mutation.isError && <ErrorAlert error={mutation.error} title="Passkey sign-in failed" />}
      <Text size="sm">Your browser asks for the passkey that you registered for this account.</Text>
      <Button onClick={() => mutation.mutate(mfaToken)} loading={mutation.isPending}>
        Use a passkey
      </Button>
    </Stack>
  );
}
