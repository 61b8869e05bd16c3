import { Button, Group, Select, Stack, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { DISPOSITION_VALUES, multilineText } from '@peytonix/contracts';
import { z } from 'zod';
import { validateWith } from '../shared/zod-validator.ts';
import { DISPOSITION_LABELS } from './exception-labels.ts';
import type { Disposition, ProposalInput } from './exceptions-api.ts';

interface FormValues {
  disposition: string | null;
  rationale: string;
  duplicateOf: string;
}

const rationaleSchema = multilineText(4000);
const uuidSchema = z.uuid({ error: 'expected the id of the original exception (a UUID)' });

/**
 * Collect a disposition with its rationale, and for a duplicate the id of the
 * original exception. The rules are those of proposeDispositionSchema.
 */
export function ProposalForm({
  submitLabel,
  pending,
  onSubmit,
}: {
  submitLabel: string;
  pending: boolean;
  onSubmit: (proposal: ProposalInput) => void;
}) {
  const form = useForm<FormValues>({
    mode: 'controlled',
    initialValues: { disposition: null, rationale: '', duplicateOf: '' },
    validate: {
      disposition: (value) => (value === null ? 'Choose a disposition' : null),
      rationale: validateWith(rationaleSchema),
      duplicateOf: (value, values) =>
        values.disposition === 'duplicate' ? validateWith(uuidSchema)(value.trim()) : null,
    },
  });

  return (
    <form
      onSubmit={form.onSubmit((values) =>
        onSubmit({
          disposition: values.disposition as Disposition,
          rationale: values.rationale.trim(),
          duplicateOf:
            values.disposition === 'duplicate'
              ? values.duplicateOf.trim().toLowerCase()
              : undefined,
        }),
      )}
    >
      <Stack gap="sm">
        <Select
          label="Disposition"
          placeholder="Choose a disposition"
          data={DISPOSITION_VALUES.map((value) => ({ value, label: DISPOSITION_LABELS[value] }))}
          withAsterisk
          {...form.getInputProps('disposition')}
        />
        {form.values.disposition === 'duplicate' && (
          <TextInput
            label="Original exception id"
            description="The exception this one repeats; it must not be a duplicate itself"
            withAsterisk
            {...form.getInputProps('duplicateOf')}
          />
        )}
        <Textarea
          label="Rationale"
          description="Why this disposition fits, for the reviewer"
          autosize
          minRows={3}
          maxLength={4000}
          withAsterisk
          {...form.getInputProps('rationale')}
        />
        <Group>
          <Button type="submit" loading={pending}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
