import {
  Button,
  Divider,
  Group,
  Paper,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { z } from 'zod';
import { isApiError } from '../api/api-error.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { type AvailableSteps, hasPrepared } from './available-steps.ts';
import {
  assignException,
  type Decision,
  decide,
  type ExceptionDetail,
  exceptionKeys,
  type ProposalInput,
  proposeDisposition,
  requestRetest,
} from './exceptions-api.ts';
import { ProposalForm } from './ProposalForm.tsx';

const emailSchema = z.email();

type StepRequest =
  | { kind: 'assign'; assignee: string }
  | { kind: 'propose'; proposal: ProposalInput }
  | { kind: 'decide'; decision: Decision; comment: string }
  | { kind: 'retest' };

const DECISION_DONE: Record<Decision, string> = {
  approve: 'Approved.',
  return: 'Returned to the preparer.',
  'accept-risk': 'Risk accepted.',
  'decline-risk': 'Risk acceptance declined.',
};

/** Return why the user is offered no decision on a proposal when separation of duties is the reason, else null. */
function separationNote(exception: ExceptionDetail, email: string): string | null {
  if (exception.status !== 'proposed') return null;
  const mine = (value: string | null) => value?.toLowerCase() === email.toLowerCase();
  if (mine(exception.proposedBy)) {
    return 'You proposed this disposition, so someone else decides on it (separation of duties).';
  }
  if (hasPrepared(exception, email)) {
    return 'You prepared this exception, so someone else decides on it (separation of duties).';
  }
  if (mine(exception.reviewedBy)) {
    return 'You approved this risk acceptance as reviewer, so someone else in management accepts it (separation of duties).';
  }
  return null;
}

/** A comment box and two buttons: approve and return, or accept and decline a risk. */
function DecisionForm({
  heading,
  accept,
  reject,
  pending,
  onDecide,
}: {
  heading: string;
  accept: { decision: Decision; label: string };
  reject: { decision: Decision; label: string };
  pending: Decision | undefined;
  onDecide: (decision: Decision, comment: string) => void;
}) {
  const [comment, setComment] = useState('');
  const [commentError, setCommentError] = useState<string | null>(null);

  return (
    <Stack gap="sm">
      <Title order={3} size="h5">
        {heading}
      </Title>
      <Textarea
        label="Comment"
        description={`Optional to ${accept.label.toLowerCase()}; required to ${reject.label.toLowerCase()}`}
        autosize
        minRows={2}
        maxLength={4000}
        value={comment}
        error={commentError}
        onChange={(event) => {
          setComment(event.currentTarget.value);
          setCommentError(null);
        }}
      />
      <Group>
        <Button
          loading={pending === accept.decision}
          disabled={pending !== undefined}
          onClick={() => onDecide(accept.decision, comment)}
        >
          {accept.label}
        </Button>
        <Button
          variant="default"
          loading={pending === reject.decision}
          disabled={pending !== undefined}
          onClick={() => {
            if (comment.trim() === '') {
              setCommentError('Say what the preparer should do next');
              return;
            }
            onDecide(reject.decision, comment);
          }}
        >
          {reject.label}
        </Button>
      </Group>
    </Stack>
  );
}

/**
 * Show the workflow steps the user may take on the exception in its state. Each
 * step sends the revision the page shows, so a change by someone else in
 * the meantime fails with the server's conflict message.
 */
export function ExceptionActions({
  exception,
  steps,
  email,
}: {
  exception: ExceptionDetail;
  steps: AvailableSteps;
  email: string;
}) {
  const queryClient = useQueryClient();
  const [assignee, setAssignee] = useState('');
  const [assigneeError, setAssigneeError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const reload = () => queryClient.invalidateQueries({ queryKey: exceptionKeys.all });

  const mutation = useMutation({
    mutationFn: async (request: StepRequest): Promise<string> => {
      const { id, revision } = exception;
      switch (request.kind) {
        case 'assign':
          await assignException(id, request.assignee, revision);
          return `Assigned to ${request.assignee}.`;
        case 'propose':
          await proposeDisposition(id, request.proposal, revision);
          return 'Disposition proposed. A reviewer decides on it next.';
        case 'decide':
          await decide(id, request.decision, request.comment, revision);
          return DECISION_DONE[request.decision];
        case 'retest': {
          const queued = await requestRetest([id]);
          return `Retest queued as run ${queued.runId}. Its result appears under Retests once the run ends.`;
        }
      }
    },
    onMutate: () => setDone(null),
    onSuccess: async (message) => {
      setDone(message);
      setAssignee('');
      await reload();
    },
  });

  const pendingDecision =
    mutation.isPending && mutation.variables?.kind === 'decide'
      ? mutation.variables.decision
      : undefined;
  const anyStep = steps.assign || steps.propose || steps.review || steps.decideRisk || steps.retest;
  const note = separationNote(exception, email);
  const conflict = isApiError(mutation.error) && mutation.error.status === 409;

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="exception-actions-heading">
      <Stack gap="md">
        <Title order={2} size="h4" id="exception-actions-heading">
          Actions
        </Title>
        {done !== null && (
          <Text size="sm" role="status" fw={500}>
            {done}
          </Text>
        )}
        {mutation.isError && (
          <Stack gap="xs">
            <ErrorAlert error={mutation.error} title="The step failed" />
            {conflict && (
              <Group>
                <Button
                  variant="default"
                  size="xs"
                  onClick={() => {
                    mutation.reset();
                    void reload();
                  }}
                >
                  Reload the exception
                </Button>
              </Group>
            )}
          </Stack>
        )}
        {!anyStep && (
          <Text size="sm">
            {note ?? 'No step is open to you on this exception in its current state.'}
          </Text>
        )}
        {anyStep && note !== null && <Text size="sm">{note}</Text>}

        {steps.assign && (
          <Stack gap="sm">
            <Title order={3} size="h5">
              Assign
            </Title>
            {steps.assignToSelf && (
              <Group>
                <Button
                  loading={mutation.isPending && mutation.variables?.kind === 'assign'}
                  disabled={mutation.isPending}
                  onClick={() => mutation.mutate({ kind: 'assign', assignee: email })}
                >
                  Assign to me
                </Button>
              </Group>
            )}
            <form
              onSubmit={(event) => {
                event.preventDefault();
                const value = assignee.trim();
                if (!emailSchema.safeParse(value).success) {
                  setAssigneeError('Enter the email address of a preparer of this entity');
                  return;
                }
                mutation.mutate({ kind: 'assign', assignee: value });
              }}
            >
              <Group align="flex-end" gap="sm">
                <TextInput
                  label="Preparer's email"
                  type="email"
                  autoComplete="off"
                  value={assignee}
                  error={assigneeError}
                  onChange={(event) => {
                    setAssignee(event.currentTarget.value);
                    setAssigneeError(null);
                  }}
                  style={{ flexGrow: 1 }}
                />
                <Button type="submit" variant="default" disabled={mutation.isPending}>
                  Assign to preparer
                </Button>
              </Group>
            </form>
          </Stack>
        )}

        {steps.propose && (
          <>
            <Divider />
            <Stack gap="sm">
              <Title order={3} size="h5">
                Propose a disposition
              </Title>
              <ProposalForm
                submitLabel="Propose disposition"
                pending={mutation.isPending && mutation.variables?.kind === 'propose'}
                onSubmit={(proposal) => mutation.mutate({ kind: 'propose', proposal })}
              />
            </Stack>
          </>
        )}

        {steps.review && (
          <>
            <Divider />
            <DecisionForm
              heading="Review the proposal"
              accept={{ decision: 'approve', label: 'Approve' }}
              reject={{ decision: 'return', label: 'Return to preparer' }}
              pending={pendingDecision}
              onDecide={(decision, comment) =>
                mutation.mutate({ kind: 'decide', decision, comment })
              }
            />
          </>
        )}

        {steps.decideRisk && (
          <>
            <Divider />
            <DecisionForm
              heading="Decide on the risk acceptance"
              accept={{ decision: 'accept-risk', label: 'Accept risk' }}
              reject={{ decision: 'decline-risk', label: 'Decline risk' }}
              pending={pendingDecision}
              onDecide={(decision, comment) =>
                mutation.mutate({ kind: 'decide', decision, comment })
              }
            />
          </>
        )}

        {steps.retest && (
          <>
            <Divider />
            <Stack gap="xs">
              <Title order={3} size="h5">
                Retest
              </Title>
              <Text size="sm">
                Queue a run of {exception.testKey} on the datasets its active version binds, and
                record whether it flags this key again.
              </Text>
              <Group>
                <Button
                  variant="default"
                  loading={mutation.isPending && mutation.variables?.kind === 'retest'}
                  disabled={mutation.isPending}
                  onClick={() => mutation.mutate({ kind: 'retest' })}
                >
                  Request a retest
                </Button>
              </Group>
            </Stack>
          </>
        )}
      </Stack>
    </Paper>
  );
}
