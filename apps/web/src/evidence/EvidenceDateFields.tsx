import { Group, TextInput } from '@mantine/core';
import { evidenceDateSchema } from '@peytonix/contracts';
import type { EvidenceDate } from './evidence-api.ts';

/** The two date fields of an evidence date, as the text of `<input type="date">` (YYYY-MM-DD). */
export interface EvidenceDateValues {
  start: string;
  end: string;
}

/**
 * Convert the fields to an evidence date: undefined when both are empty,
 * or the first problem as a message, as evidenceDateSchema checks it.
 */
export function parseEvidenceDate(
  values: EvidenceDateValues,
): { date: EvidenceDate | undefined } | { error: string } {
  const start = values.start.trim();
  const end = values.end.trim();
  if (start === '' && end === '') return { date: undefined };
  if (start === '') return { error: 'Enter the first day the file proves, or clear both dates' };
  const candidate = end === '' ? { start } : { start, end };
  const parsed = evidenceDateSchema.safeParse(candidate);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? 'invalid date';
    return { error: message.charAt(0).toUpperCase() + message.slice(1) };
  }
  return { date: candidate };
}

/** Start and optional end of the period a file proves. */
export function EvidenceDateFields({
  values,
  error,
  onChange,
}: {
  values: EvidenceDateValues;
  error: string | null;
  onChange: (values: EvidenceDateValues) => void;
}) {
  return (
    <Group grow align="flex-start">
      <TextInput
        type="date"
        label="Evidence date"
        description="The day the file proves, or the first day of its period"
        value={values.start}
        error={error}
        onChange={(event) => onChange({ ...values, start: event.currentTarget.value })}
      />
      <TextInput
        type="date"
        label="Period end (optional)"
        description="The last day, for a file that covers a period"
        value={values.end}
        onChange={(event) => onChange({ ...values, end: event.currentTarget.value })}
      />
    </Group>
  );
}
