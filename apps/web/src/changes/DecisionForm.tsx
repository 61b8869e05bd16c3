import { Alert, Button, Code, Group, Stack, Text, Textarea, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { rejectChangeRequestInputSchema } from '@peytonix/contracts';
import { validateWith } from '../shared/zod-validator.ts';
import type { ChangeRequest, Decision } from './change-requests-api.ts';

const validateNote = validateWith(rejectChangeRequestInputSchema.shape.note);

/**
 * Approve or reject a pending request. Approval sends the diff hash that
 * the browser recomputed from the states on the screen, so it covers
 * exactly the diff the reviewer read. It is offered only when that hash
 * equals the server's. A rejection needs a note. The caller sends the
 * decision and shows its error, which must outlive this form: a stale
 * request stops being pending, and the form then unmounts.
 */
export function DecisionForm({
  request,
  computedDiffSha256,
  decisionBlockedReason,
  onDecide,
  pendingVerdict,
}: {
  request: ChangeRequest;
  /** The reason the server would refuse this user's decision, or null when it allows one. */
  decisionBlockedReason: string | null;
  onDecide: (decision: Decision) => void;
  /** The verdict being sent, or undefined when no decision is in flight. */
  pendingVerdict: Decision['verdict'] | undefined;
  /** The diff hash recomputed in the browser, or undefined while it is computed. */
  computedDiffSha256: string | undefined;
}) {
  const form = useForm({ mode: 'controlled', initialValues: { note: '' } });
  const hashMatches = computedDiffSha256 === request.diffSha256;

  const submit = (nextVerdict: 'approve' | 'reject') => {
    // The note is optional on approval and required on rejection.
    const note = form.getValues().note;
    const error = nextVerdict === 'reject' || note !== '' ? validateNote(note) : null;
    if (error !== null) {
      form.setFieldError('note', error);
      return;
    }
    form.clearErrors();
    if (nextVerdict === 'approve' && computedDiffSha256 !== undefined) {
      onDecide({ verdict: 'approve', diffSha256: computedDiffSha256, note });
    } else if (nextVerdict === 'reject') {
      onDecide({ verdict: 'reject', note });
    }
  };

  return (
    <Stack component="section" aria-labelledby="decision-heading" gap="sm">
      <Title order={2} size="h3" id="decision-heading">
        Your decision
      </Title>
      {computedDiffSha256 !== undefined && !hashMatches && (
        <Alert color="red" title="The diff hash does not match">
          <Text size="sm">
            The server's diff hash <Code>{request.diffSha256}</Code> differs from{' '}
            <Code>{computedDiffSha256}</Code>, computed here from the states shown, so approval is
            not offered. Reload the page; if the hashes still differ, report the request id.
          </Text>
        </Alert>
      )}
      {decisionBlockedReason !== null && (
        <Alert color="blue" title="You cannot decide this request">
          <Text size="sm">{decisionBlockedReason}</Text>
        </Alert>
      )}
      <Textarea
        label="Note"
        description="Required to reject; optional when you approve. At most 2,000 characters."
        autosize
        minRows={2}
        maxRows={8}
        {...form.getInputProps('note')}
      />
      <Group>
        <Button
          onClick={() => submit('approve')}
          loading={pendingVerdict === 'approve'}
          disabled={!hashMatches || decisionBlockedReason !== null || pendingVerdict !== undefined}
        >
          Approve and apply
        </Button>
        <Button
          color="red"
          variant="outline"
          onClick={() => submit('reject')}
          loading={pendingVerdict === 'reject'}
          disabled={decisionBlockedReason !== null || pendingVerdict !== undefined}
        >
          Reject
        </Button>
      </Group>
    </Stack>
  );
}
