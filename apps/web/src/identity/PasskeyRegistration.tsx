import { Button, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { plainText } from '@peytonix/contracts';
import { startRegistration } from '@simplewebauthn/browser';
import { useMutation } from '@tanstack/react-query';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { validateWith } from '../shared/zod-validator.ts';
import { registerPasskey, requestPasskeyRegistrationOptions } from './identity-api.ts';

/** The server's limit for a passkey name. */
const passkeyNameSchema = plainText(100);

async function createPasskey(name: string) {
  const optionsJSON = await requestPasskeyRegistrationOptions();
  const response = await startRegistration({ optionsJSON });
  return await registerPasskey(response, name);
}

/**
 * Registers a passkey of this device or a security key. `onRegistered`
 * receives the recovery codes that the server issues when the account had
 * none left, or null.
 */
export function PasskeyRegistration({
  onRegistered,
}: {
  onRegistered: (recoveryCodes: string[] | null) => void;
}) {
  const form = useForm({
    initialValues: { name: 'Passkey' },
    validate: { name: validateWith(passkeyNameSchema) },
  });
  const mutation = useMutation({
    mutationFn: createPasskey,
    onSuccess: (result) => onRegistered(result.recoveryCodes),
  });

  return (
    <form noValidate onSubmit={form.onSubmit(({ name }) => mutation.mutate(name.trim()))}>
      <Stack>
        {mutation.isError && (
          <ErrorAlert error={mutation.error} title="The passkey was not registered" />
        )}
        <TextInput
          label="Passkey name"
          description="A name that tells you which device or security key stores it."
          required
          {...form.getInputProps('name')}
        />
        <Button type="submit" loading={mutation.isPending}>
          Register passkey
        </Button>
      </Stack>
    </form>
  );
}
