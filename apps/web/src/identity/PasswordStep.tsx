import { Anchor, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { loginInputSchema } from '@peytonix/contracts';
import { useMutation } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { validateWith } from '../shared/zod-validator.ts';
import { type LoginResult, signInWithPassword } from './identity-api.ts';

/** First sign-in step: email and password. */
export function PasswordStep({ onResult }: { onResult: (result: LoginResult) => void }) {
  const form = useForm({
    initialValues: { email: '', password: '' },
    validate: {
      email: validateWith(loginInputSchema.shape.email),
      password: validateWith(loginInputSchema.shape.password),
    },
  });
  const login = useMutation({
    mutationFn: ({ email, password }: { email: string; password: string }) =>
      signInWithPassword(email, password),
    onSuccess: onResult,
  });

  return (
    <form noValidate onSubmit={form.onSubmit((values) => login.mutate(values))}>
      <Stack>
        {login.isError && <ErrorAlert error={login.error} title="Sign-in failed" />}
        <TextInput
          label="Email"
          type="email"
          autoComplete="username"
          required
          {...form.getInputProps('email')}
        />
        <PasswordInput
          label="Password"
          autoComplete="current-password"
          required
          {...form.getInputProps('password')}
        />
        <Button type="submit" loading={login.isPending}>
          Sign in
        </Button>
        <Anchor component={Link} to="/setup-password" size="sm">
          Set your first password with a setup secret
        </Anchor>
      </Stack>
    </form>
  );
}
