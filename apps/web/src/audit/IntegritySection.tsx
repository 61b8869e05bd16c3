import { Badge, Code, Group, Loader, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { useCheckpoints, usePublicKey } from './audit-api.ts';
import { checkCheckpointSignature, type SignedCheckpoint } from './audit-verification.ts';
import { VerificationState } from './VerificationState.tsx';

function PassFail({
  pass,
  passLabel,
  failLabel,
}: {
  pass: boolean;
  passLabel: string;
  failLabel: string;
}) {
  return (
    <Badge color={pass ? 'green' : 'red'} variant="dot" miw="max-content">
      {pass ? passLabel : failLabel}
    </Badge>
  );
}

function LatestCheckpoint({
  latest,
  publicKeyPem,
}: {
  latest: SignedCheckpoint;
  publicKeyPem: string;
}) {
  const check = useQuery({
    queryKey: ['audit', 'checkpoint-signature', latest.checkpoint.treeSize, latest.signature],
    queryFn: () => checkCheckpointSignature(latest, publicKeyPem),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const { checkpoint } = latest;
  return (
    <Stack gap={4} data-testid="latest-checkpoint">
      <Text size="sm">
        Covers events 1 to {checkpoint.treeSize}, signed {formatDateTime(checkpoint.signedAt)}.
      </Text>
      <Text size="xs" style={{ wordBreak: 'break-all' }}>
        Root hash: <Code>{checkpoint.rootHash}</Code>
      </Text>
      <Text size="xs" style={{ wordBreak: 'break-all' }}>
        Key id: <Code>{checkpoint.keyId}</Code>
      </Text>
      {check.isPending && <Loader size="sm" aria-label="Checking the signature" />}
      {check.isError && (
        <ErrorAlert error={check.error} title="The signature could not be checked" />
      )}
      {check.isSuccess && (
        <Group gap="xs">
          <PassFail
            pass={check.data.signatureValid && check.data.keyMatches}
            passLabel="signature valid"
            failLabel="signature invalid"
          />
          <Text size="xs">
            Checked in this browser with the server's public key. Compare the key id with a copy you
            obtained outside this app before you rely on it.
          </Text>
        </Group>
      )}
    </Stack>
  );
}

/** Shows the chain's verification state on the server and the latest signed checkpoint. */
export function IntegritySection() {
  const checkpoints = useCheckpoints();
  const publicKey = usePublicKey();
  const latest = checkpoints.data?.at(-1);
  return (
    <Stack component="section" aria-labelledby="integrity-heading" gap="xs">
      <Title order={2} size="h3" id="integrity-heading">
        Integrity
      </Title>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Stack gap="xs">
          <Text fw={600} size="sm">
            Chain verification on the server
          </Text>
          <VerificationState />
        </Stack>
        <Stack gap="xs">
          <Text fw={600} size="sm">
            Latest signed checkpoint
          </Text>
          {(checkpoints.isPending || publicKey.isPending) && (
            <Loader size="sm" aria-label="Loading checkpoints" />
          )}
          {checkpoints.isError && (
            <ErrorAlert error={checkpoints.error} title="Checkpoints could not be loaded" />
          )}
          {publicKey.isError && (
            <ErrorAlert error={publicKey.error} title="The public key could not be loaded" />
          )}
          {checkpoints.isSuccess && latest === undefined && (
            <Text size="sm">No checkpoint has been signed yet.</Text>
          )}
          {latest !== undefined && publicKey.isSuccess && (
            <LatestCheckpoint latest={latest} publicKeyPem={publicKey.data.publicKeyPem} />
          )}
        </Stack>
      </SimpleGrid>
    </Stack>
  );
}
