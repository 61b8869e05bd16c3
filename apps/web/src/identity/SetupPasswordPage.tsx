import { Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { setupPasswordInputSchema } from '@peytonix/contracts';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { Page } from '../shared/Page.tsx';
import { validateWith } from '../shared/zod-validator.ts';
import { AuthLayout } from './AuthLayout.tsx';
import { setFirstPassword } from './identity-api.ts';
import type { SignInState } from './sign-in-notice.ts';

/**
 * Read a setup secret from a link of the form /setup-password#secret=…. The
 * fragment never reaches the server, so the secret stays out of access logs.
 */
function readSecretFromFragment(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get('secret') ?? '';
}

/** First password of a new account, set with the one-time setup secret. */
export function SetupPasswordPage() {
  const navigate = useNavigate();
  const [secretFromLink] = useState(readSecretFromFragment);
  useEffect(() => {
    // Keep the secret out of the address bar and the browser history.
    if (window.location.hash !== '') {
      window.history.replaceState(window.history.state, '', window.location.pathname);
    }
  }, []);
  const form = useForm({
    initialValues: { setupSecret: secretFromLink, password: '', confirmation: '' },
    validate: {
      setupSecret: validateWith(setupPasswordInputSchema.shape.setupSecret),
      password: validateWith(setupPasswordInputSchema.shape.password),
      confirmation: (value, values) =>
        value === values.password ? null : 'The two passwords differ. Type the same one twice.',
    },
  });
  const setup = useMutation({
    mutationFn: ({ setupSecret, password }: { setupSecret: string; password: string }) =>
      setFirstPassword(setupSecret.trim(), password),
    onSuccess: () => {
      const state: SignInState = { notice: 'Your password is set. Sign in with it now.' };
      navigate('/sign-in', { replace: true, state });
    },
  });

  return (
    <AuthLayout>
      <Page title="Set your first password">
        <Text size="sm">
          Use the setup secret that your administrator gave you, or that{' '}
          <code>peytonix admin create</code> printed. It works once, for 24 hours.
        </Text>
        <form noValidate onSubmit={form.onSubmit((values) => setup.mutate(values))}>
          <Stack>
            {setup.isError && <ErrorAlert error={setup.error} title="The password was not set" />}
            <TextInput
              label="Setup secret"
              autoComplete="off"
              spellCheck={false}
              required
              {...form.getInputProps('setupSecret')}
            />
            <PasswordInput
              label="New password"
              description="12 to 256 characters. Common passwords, and passwords that contain your name or the first part of your email, are rejected."
              autoComplete="new-password"
              required
              {...form.getInputProps('password')}
            />
            <PasswordInput
              label="Repeat the new password"
              autoComplete="new-password"
              required
              {...form.getInputProps('confirmation')}
            />
            <Button type="submit" loading={setup.isPending}>
              Set password
            </Button>
            <Anchor component={Link} to="/sign-in" size="sm">
              Back to sign-in
            </Anchor>
          </Stack>
        </form>
      </Page>
    </AuthLayout>
  );
}
