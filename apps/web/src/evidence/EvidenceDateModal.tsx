import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { markHiddenCharacters } from '../shared/invisible-characters.ts';
import { EvidenceDateFields, parseEvidenceDate } from './EvidenceDateFields.tsx';
import {
  type EvidenceDate,
  type EvidenceVersion,
  evidenceKeys,
  setEvidenceDate,
} from './evidence-api.ts';

/** Change or clear the period that one version proves; the server audits each change. */
export function EvidenceDateModal({
  evidenceId,
  version,
  onClose,
}: {
  evidenceId: string;
  version: EvidenceVersion;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const [values, setValues] = useState({
    start: version.evidenceDate?.start ?? '',
    end: version.evidenceDate?.end ?? '',
  });
  const [error, setError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (date: EvidenceDate | null) => setEvidenceDate(evidenceId, version.version, date),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: evidenceKeys.all });
      onClose();
    },
  });

  return (
    <Modal
      opened
      onClose={onClose}
      title={`Evidence date of ${markHiddenCharacters(version.fileName)}, version ${version.version}`}
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          const parsed = parseEvidenceDate(values);
          if ('error' in parsed) {
            setError(parsed.error);
            return;
          }
          save.mutate(parsed.date ?? null);
        }}
      >
        <Stack gap="sm">
          <Text size="sm">The day or period that this file proves, such as a quarter.</Text>
          {save.isError && <ErrorAlert error={save.error} title="The date was not saved" />}
          <EvidenceDateFields
            values={values}
            error={error}
            onChange={(next) => {
              setValues(next);
              setError(null);
            }}
          />
          <Group>
            <Button type="submit" loading={save.isPending && save.variables !== null}>
              Save date
            </Button>
            {version.evidenceDate !== null && (
              <Button
                variant="default"
                loading={save.isPending && save.variables === null}
                onClick={() => save.mutate(null)}
              >
                Clear date
              </Button>
            )}
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
