import { Button, Divider, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { isApiError } from '../api/api-error.ts';
import { evidenceKeys, listEvidence } from '../evidence/evidence-api.ts';
import { unavailableEvidence } from '../evidence/evidence-readiness.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { SignedOffErrorNotice, SignedOffNotice } from '../sign-offs/SignedOffNotice.tsx';
import { AssigneeSelect } from './AssigneeSelect.tsx';
import { type AvailableSteps, hasPrepared } from './available-steps.ts';
import { DecisionForm, type EvidenceCheck } from './DecisionForm.tsx';
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
  const [assignee, setAssignee] = useState<string | null>(null);
  const [assigneeError, setAssigneeError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const deciding = steps.review || steps.decideRisk;
  // The same query as the evidence panel, so both show the same states.
  const evidence = useQuery({
    queryKey: evidenceKeys.list('exception', exception.id),
    queryFn: ({ signal }) => listEvidence('exception', exception.id, signal),
    enabled: deciding,
  });
  let evidenceCheck: EvidenceCheck = { status: 'loading' };
  if (evidence.isError) evidenceCheck = { status: 'failed', error: evidence.error };
  else if (evidence.data !== undefined) {
    evidenceCheck = { status: 'loaded', unavailable: unavailableEvidence(evidence.data.items) };
  }

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
      setAssignee(null);
      await reload();
    },
  });

  const pendingDecision =
    mutation.isPending && mutation.variables?.kind === 'decide'
      ? mutation.variables.decision
      : undefined;
  const anyStep = steps.assign || steps.propose || steps.review || steps.decideRisk || steps.retest;
  const note = separationNote(exception, email);
  // A reload cannot lift a sign-off, so SIGNED_OFF gets its own notice instead.
  const conflict =
    isApiError(mutation.error) &&
    mutation.error.status === 409 &&
    mutation.error.code !== 'SIGNED_OFF';

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
            <SignedOffErrorNotice error={mutation.error} />
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
        {exception.signedOff !== null && !mutation.isError && (
          <SignedOffNotice
            targetType={exception.signedOff.targetType}
            targetId={exception.signedOff.targetId}
          />
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
                if (assignee === null) {
                  setAssigneeError('Choose a preparer of this entity');
                  return;
                }
                mutation.mutate({ kind: 'assign', assignee });
              }}
            >
              <Stack gap="sm">
                <AssigneeSelect
                  entityCodes={[exception.entityCode]}
                  value={assignee}
                  error={assigneeError}
                  onChange={(email) => {
                    setAssignee(email);
                    setAssigneeError(null);
                  }}
                />
                <Group>
                  <Button type="submit" variant="default" disabled={mutation.isPending}>
                    Assign to preparer
                  </Button>
                </Group>
              </Stack>
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
              evidence={evidenceCheck}
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
              evidence={evidenceCheck}
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
