import { Button, Stack, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { z } from 'zod';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { validateWith } from '../shared/zod-validator.ts';

/**
 * Renders a form with one code field, such as a TOTP code or a recovery
 * code. It validates the code with `schema` and shows the server's error
 * when `submit` fails. With `focusOnMount` the field takes focus on mount.
 */
export function CodeForm<Result>({
  label,
  description,
  schema,
  inputMode,
  autoComplete,
  submitLabel,
  submit,
  onSuccess,
  focusOnMount = false,
}: {
  label: string;
  description: string;
  schema: z.ZodType;
  inputMode: 'numeric' | 'text';
  autoComplete: string;
  submitLabel: string;
  submit: (code: string) => Promise<Result>;
  onSuccess: (result: Result) => void;
  focusOnMount?: boolean;
}) {
  const inputRef = useRef<HTMLInputElement>(null);
  const form = useForm({ initialValues: { code: '' }, validate: { code: validateWith(schema) } });
  const mutation = useMutation({ mutationFn: submit, onSuccess });

  useEffect(() => {
    if (focusOnMount) inputRef.current?.focus();
  }, [focusOnMount]);

  return (
    <form noValidate onSubmit={form.onSubmit(({ code }) => mutation.mutate(code.trim()))}>
      <Stack>
        {mutation.isError && (
          <ErrorAlert error={mutation.error} title="The code was not accepted" />
        )}
        <TextInput
          ref={inputRef}
          label={label}
          description={description}
          inputMode={inputMode}
          autoComplete={autoComplete}
          spellCheck={false}
          required
          {...form.getInputProps('code')}
        />
        <Button type="submit" loading={mutation.isPending}>
          {submitLabel}
        </Button>
      </Stack>
    </form>
  );
}
