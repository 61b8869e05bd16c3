import { Alert, Badge, Code, Group, Loader, Stack, Text } from '@mantine/core';
import type { AuditVerification } from '@peytonix/contracts';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { useVerification } from './audit-api.ts';

const STATE_BADGES: Record<AuditVerification['state'], { color: string; label: string }> = {
  intact: { color: 'green', label: 'intact' },
  damaged: { color: 'red', label: 'damaged' },
  failed: { color: 'red', label: 'verification failed' },
  stale: { color: 'orange', label: 'stale' },
  unverified: { color: 'orange', label: 'not verified' },
};

function formatDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Explains every state except intact, which needs no explanation. */
function StateWarning({ verification }: { verification: AuditVerification }) {
  const { state, latest } = verification;
  if (state === 'damaged' && latest?.damage) {
    return (
      <Alert color="red" title="The audit trail is damaged" data-testid="verification-damage">
        Event {latest.damage.seq}: <Code>{latest.damage.kind}</Code>. {latest.damage.description}{' '}
        Run <Code>peytonix audit verify</Code> on the server and investigate before relying on the
        trail.
      </Alert>
    );
  }
  if (state === 'failed') {
    return (
      <Alert color="red" title="The last verification failed">
        The server could not finish verifying the chain, so its state is unknown. The server log has
        the error.
      </Alert>
    );
  }
  if (state === 'stale') {
    return (
      <Alert color="orange" title="The verification result is stale">
        No verification finished in the last {formatDuration(verification.staleAfterSeconds)}, so
        this result may no longer hold. Check that the server is running and that{' '}
        <Code>/health/ready</Code> passes.
      </Alert>
    );
  }
  if (state === 'unverified') {
    return (
      <Text size="sm">
        No verification has been recorded yet. The server verifies the whole chain every{' '}
        {formatDuration(verification.intervalSeconds)}; until then, run{' '}
        <Code>peytonix audit verify</Code>.
      </Text>
    );
  }
  return null;
}

/** Shows the latest full verification of the chain and every checkpoint, failing closed. */
export function VerificationState() {
  const verification = useVerification();
  if (verification.isPending) {
    return <Loader size="sm" aria-label="Loading the verification state" />;
  }
  if (verification.isError) {
    return (
      <ErrorAlert error={verification.error} title="The verification state could not be loaded" />
    );
  }

  const { state, latest } = verification.data;
  const badge = STATE_BADGES[state];
  return (
    <Stack gap={4} data-testid="verification-state">
      <Group gap="xs">
        <Badge color={badge.color} variant="dot" miw="max-content">
          {badge.label}
        </Badge>
        {latest !== null && (
          <Text size="sm">Last verified {formatDateTime(latest.recordedAt)}</Text>
        )}
      </Group>
      {latest !== null && (
        <Text size="xs">
          {latest.treeSize} events and {latest.checkpoints} checkpoints checked in{' '}
          {latest.durationMs} ms by <Code>{latest.instance}</Code>.
        </Text>
      )}
      <StateWarning verification={verification.data} />
    </Stack>
  );
}
