import { Select, Text } from '@mantine/core';
import { useQueries } from '@tanstack/react-query';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { markHiddenCharacters } from '../shared/invisible-characters.ts';
import { assigneeLabel, commonAssignees } from './assignee-candidates.ts';
import { exceptionKeys, listAssignees } from './exceptions-api.ts';

/** Say why the list has no one, naming the entities. */
function noCandidatesMessage(entityCodes: readonly string[]): string {
  if (entityCodes.length === 1) {
    return `No active user holds the preparer role on ${entityCodes[0]}, so no one can be assigned. An administrator grants the role through a change request.`;
  }
  return `No active preparer holds the role on all of ${entityCodes.join(', ')}, so one assignment cannot cover this selection. Select exceptions of one entity at a time.`;
}

/**
 * Offer a searchable list of the users that exceptions of `entityCodes` can be
 * assigned to (GET /api/v1/exceptions/assignees). With several entities it
 * offers only the users who may take exceptions of every one of them.
 * `value` and `onChange` carry the chosen user's email.
 */
export function AssigneeSelect({
  entityCodes,
  value,
  onChange,
  error,
}: {
  entityCodes: readonly string[];
  value: string | null;
  onChange: (email: string | null) => void;
  error?: string | null;
}) {
  const lists = useQueries({
    queries: entityCodes.map((entityCode) => ({
      queryKey: exceptionKeys.assignees(entityCode),
      queryFn: ({ signal }: { signal: AbortSignal }) => listAssignees(entityCode, signal),
    })),
  });
  const failed = lists.find((list) => list.isError);
  const loading = lists.some((list) => list.isPending);

  if (failed !== undefined) {
    return <ErrorAlert error={failed.error} title="The preparers could not be loaded" />;
  }

  const candidates = loading ? [] : commonAssignees(lists.map((list) => list.data?.items ?? []));
  if (!loading && candidates.length === 0) {
    return (
      <Text size="sm" role="status" data-testid="no-assignees">
        {noCandidatesMessage(entityCodes)}
      </Text>
    );
  }

  return (
    <Select
      label="Preparer"
      description={
        entityCodes.length > 1
          ? `Preparers of every entity in the selection: ${entityCodes.join(', ')}`
          : `Active preparers of ${entityCodes[0] ?? 'the entity'}`
      }
      placeholder={loading ? 'Loading the preparers…' : 'Type a name or email'}
      disabled={loading}
      searchable
      clearable
      nothingFoundMessage="No preparer matches"
      data={candidates.map((assignee) => ({
        value: assignee.email,
        label: markHiddenCharacters(assigneeLabel(assignee)),
      }))}
      value={value}
      onChange={onChange}
      error={error}
    />
  );
}
