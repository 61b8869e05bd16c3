import { Alert, Button, Group, Modal, Paper, Radio, Stack, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import type { AccessCheck } from '../shared/own-access.ts';
import { AssigneeSelect } from './AssigneeSelect.tsx';
import {
  bulkAssign,
  bulkPropose,
  type ExceptionSummary,
  exceptionKeys,
  type ProposalInput,
} from './exceptions-api.ts';
import { ProposalForm } from './ProposalForm.tsx';

function sameEmail(a: string | null, b: string): boolean {
  return a !== null && a.toLowerCase() === b.toLowerCase();
}

/** Return true when the user may assign or investigate any of `items`, so the queue shows checkboxes. */
export function canActInBulk(items: readonly ExceptionSummary[], access: AccessCheck): boolean {
  return items.some(
    (item) =>
      access.can('exceptions.assign', item.entityCode) ||
      access.can('exceptions.investigate', item.entityCode),
  );
}

function BulkAssignDialog({
  opened,
  onClose,
  count,
  entityCodes,
  mayAssignToSelf,
  pending,
  error,
  onAssign,
}: {
  opened: boolean;
  onClose: () => void;
  count: number;
  /** The entities of the selected exceptions, each once. */
  entityCodes: readonly string[];
  mayAssignToSelf: boolean;
  pending: boolean;
  error: unknown;
  onAssign: (assignee: 'me' | string) => void;
}) {
  const [target, setTarget] = useState<'me' | 'other'>(mayAssignToSelf ? 'me' : 'other');
  const [email, setEmail] = useState<string | null>(null);
  const [emailError, setEmailError] = useState<string | null>(null);

  return (
    <Modal opened={opened} onClose={onClose} title={`Assign ${count} exceptions`}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (target === 'me') return onAssign('me');
          if (email === null) {
            setEmailError('Choose a preparer of these entities');
            return;
          }
          onAssign(email);
        }}
      >
        <Stack gap="sm">
          {error !== null && <ErrorAlert error={error} title="Bulk assignment failed" />}
          <Radio.Group
            label="Assign to"
            value={target}
            onChange={(value) => setTarget(value === 'me' ? 'me' : 'other')}
          >
            <Stack gap="xs" mt="xs">
              {mayAssignToSelf && <Radio value="me" label="Me" />}
              <Radio value="other" label="Another preparer" />
            </Stack>
          </Radio.Group>
          {target === 'other' && (
            <AssigneeSelect
              entityCodes={entityCodes}
              value={email}
              error={emailError}
              onChange={(value) => {
                setEmail(value);
                setEmailError(null);
              }}
            />
          )}
          <Text size="sm">
            All or none: if one exception cannot be assigned, none is, and the server says which.
          </Text>
          <Group>
            <Button type="submit" loading={pending}>
              Assign {count} exceptions
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/**
 * Assign or propose for every selected exception in one request. The API
 * changes all of them or none, so a failure leaves the selection as it was.
 */
export function BulkActions({
  selected,
  email,
  access,
  onDone,
}: {
  selected: readonly ExceptionSummary[];
  email: string;
  access: AccessCheck;
  onDone: () => void;
}) {
  const queryClient = useQueryClient();
  const [assignOpen, assignDialog] = useDisclosure(false);
  const [proposeOpen, proposeDialog] = useDisclosure(false);
  const [outcome, setOutcome] = useState<string | null>(null);
  const ids = selected.map((item) => item.id);

  const onSuccess = async (message: string) => {
    setOutcome(message);
    assignDialog.close();
    proposeDialog.close();
    onDone();
    await queryClient.invalidateQueries({ queryKey: exceptionKeys.all });
  };

  const assign = useMutation({
    mutationFn: (assignee: string) => bulkAssign(ids, assignee === 'me' ? email : assignee),
    onSuccess: (result) => onSuccess(`Assigned ${result.updated.length} exceptions.`),
  });
  const propose = useMutation({
    mutationFn: (proposal: ProposalInput) => bulkPropose(ids, proposal),
    onSuccess: (result) =>
      onSuccess(`Proposed a disposition for ${result.updated.length} exceptions.`),
  });

  const entities = new Set(selected.map((item) => item.entityCode));
  const mayAssign = [...entities].every((code) => access.can('exceptions.assign', code));
  const mayInvestigate = [...entities].every((code) => access.can('exceptions.investigate', code));
  const assignable = selected.every(
    (item) => item.status === 'open' || item.status === 'in_progress',
  );
  const proposable = selected.every(
    (item) => item.status === 'in_progress' && sameEmail(item.assignee, email),
  );
  const count = selected.length;

  return (
    <Stack gap="xs">
      {outcome !== null && (
        <Alert color="green" title="Done" withCloseButton onClose={() => setOutcome(null)}>
          {outcome}
        </Alert>
      )}
      {count > 0 && (
        <Paper withBorder p="sm" aria-label="Bulk actions" component="section">
          <Group justify="space-between">
            <Text size="sm" fw={500}>
              {count} selected
            </Text>
            <Group gap="sm">
              {mayAssign && (
                <Button
                  size="sm"
                  onClick={() => {
                    assign.reset();
                    assignDialog.open();
                  }}
                  disabled={!assignable}
                >
                  Assign selected
                </Button>
              )}
              {mayInvestigate && (
                <Button
                  size="sm"
                  variant="default"
                  onClick={() => {
                    propose.reset();
                    proposeDialog.open();
                  }}
                  disabled={!proposable}
                >
                  Propose for selected
                </Button>
              )}
            </Group>
          </Group>
          {mayAssign && !assignable && (
            <Text size="sm" c="dimmed" mt="xs">
              Only open or in-progress exceptions can be assigned; clear the others from the
              selection.
            </Text>
          )}
          {mayInvestigate && !proposable && (
            <Text size="sm" c="dimmed" mt="xs">
              A disposition can be proposed only for in-progress exceptions assigned to you.
            </Text>
          )}
        </Paper>
      )}
      {assignOpen && (
        <BulkAssignDialog
          opened
          onClose={assignDialog.close}
          count={count}
          entityCodes={[...entities].sort()}
          mayAssignToSelf={mayInvestigate}
          pending={assign.isPending}
          error={assign.error}
          onAssign={(assignee) => assign.mutate(assignee)}
        />
      )}
      <Modal
        opened={proposeOpen}
        onClose={proposeDialog.close}
        title={`Propose a disposition for ${count} exceptions`}
      >
        <Stack gap="sm">
          <Text size="sm">
            One disposition and one rationale for all of them. All or none: if one exception cannot
            take it, none does.
          </Text>
          {propose.isError && <ErrorAlert error={propose.error} title="Bulk proposal failed" />}
          <ProposalForm
            submitLabel={`Propose for ${count} exceptions`}
            pending={propose.isPending}
            onSubmit={(proposal) => propose.mutate(proposal)}
          />
        </Stack>
      </Modal>
    </Stack>
  );
}
