import { Alert, Button, Checkbox, Group, List, Stack, Text, Textarea, Title } from '@mantine/core';
import { useState } from 'react';
import { EVIDENCE_STATE_LABELS } from '../evidence/EvidenceStateBadge.tsx';
import type { UnavailableEvidence } from '../evidence/evidence-readiness.ts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { UntrustedText } from '../shared/UntrustedText.tsx';
import type { Decision } from './exceptions-api.ts';

/** Result of loading the exception's evidence, which an approval waits for. */
export type EvidenceCheck =
  | { status: 'loading' }
  | { status: 'failed'; error: unknown }
  | { status: 'loaded'; unavailable: readonly UnavailableEvidence[] };

/**
 * Warn about evidence that no one can open yet, and ask for an explicit
 * acknowledgement. The server does not require available evidence, so
 * this check is the reviewer's own.
 */
function EvidenceWarning({
  check,
  acknowledged,
  onAcknowledge,
  acceptLabel,
}: {
  check: EvidenceCheck;
  acknowledged: boolean;
  onAcknowledge: (acknowledged: boolean) => void;
  acceptLabel: string;
}) {
  if (check.status === 'loading') {
    return <Text size="sm">Checking the states of the evidence…</Text>;
  }

  const acknowledgement = (
    <Checkbox
      label={`I have seen this and want to ${acceptLabel.toLowerCase()} anyway`}
      checked={acknowledged}
      onChange={(event) => onAcknowledge(event.currentTarget.checked)}
    />
  );

  if (check.status === 'failed') {
    return (
      <Stack gap="xs">
        <ErrorAlert error={check.error} title="The evidence could not be loaded" />
        <Text size="sm">
          Its states are unknown, so the files may not be uploaded or scanned clean yet.
        </Text>
        {acknowledgement}
      </Stack>
    );
  }
  if (check.unavailable.length === 0) return null;

  return (
    <Alert color="yellow" title="Evidence not available" data-testid="evidence-warning">
      <Stack gap="xs">
        <Text size="sm">
          The newest version of {check.unavailable.length === 1 ? 'this item' : 'these items'}{' '}
          cannot be downloaded, so a decision now rests on files that no one can open:
        </Text>
        <List size="sm">
          {check.unavailable.map((item) => (
            <List.Item key={item.evidenceId}>
              <UntrustedText text={item.title} />, version {item.version}:{' '}
              {EVIDENCE_STATE_LABELS[item.state].toLowerCase()}
            </List.Item>
          ))}
        </List>
        {acknowledgement}
      </Stack>
    </Alert>
  );
}

/**
 * A comment box and two buttons: approve and return, or accept and decline
 * a risk. Accepting waits for the evidence check, and for an explicit
 * acknowledgement when any evidence is not available.
 */
export function DecisionForm({
  heading,
  accept,
  reject,
  pending,
  evidence,
  onDecide,
}: {
  heading: string;
  accept: { decision: Decision; label: string };
  reject: { decision: Decision; label: string };
  pending: Decision | undefined;
  evidence: EvidenceCheck;
  onDecide: (decision: Decision, comment: string) => void;
}) {
  const [comment, setComment] = useState('');
  const [commentError, setCommentError] = useState<string | null>(null);
  const [acknowledged, setAcknowledged] = useState(false);

  const needsAcknowledgement =
    evidence.status === 'failed' ||
    (evidence.status === 'loaded' && evidence.unavailable.length > 0);
  const acceptBlocked = evidence.status === 'loading' || (needsAcknowledgement && !acknowledged);

  return (
    <Stack gap="sm">
      <Title order={3} size="h5">
        {heading}
      </Title>
      <EvidenceWarning
        check={evidence}
        acknowledged={acknowledged}
        onAcknowledge={setAcknowledged}
        acceptLabel={accept.label}
      />
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
          disabled={pending !== undefined || acceptBlocked}
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
