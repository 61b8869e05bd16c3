import { Badge, Code, Group, List, Loader, Modal, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { type AuditEvent, useInclusionProof, usePublicKey } from './audit-api.ts';
import {
  checkInclusion,
  type InclusionCheck,
  type InclusionProof,
  inclusionVerifies,
} from './audit-verification.ts';

function CheckLine({ pass, children }: { pass: boolean; children: React.ReactNode }) {
  return (
    <List.Item>
      <Group gap="xs" wrap="nowrap" align="flex-start">
        <Badge color={pass ? 'green' : 'red'} variant="dot" style={{ flexShrink: 0 }}>
          {pass ? 'pass' : 'fail'}
        </Badge>
        <Text size="sm">{children}</Text>
      </Group>
    </List.Item>
  );
}

function VerificationResult({ check }: { check: InclusionCheck }) {
  const verifies = inclusionVerifies(check);
  return (
    <Stack gap="xs">
      <Text fw={600} data-testid="proof-verdict">
        {verifies
          ? 'The proof verifies: this event is in the signed checkpoint.'
          : 'The proof does not verify.'}
      </Text>
      <List spacing={4} listStyleType="none" aria-label="Checks of the proof">
        <CheckLine pass={check.eventHashMatches}>
          The event recomputes to its stored hash (SHA-256 over the previous hash and the event's
          canonical JSON).
        </CheckLine>
        <CheckLine pass={check.leafMatches}>
          The proof is for this event's hash and position.
        </CheckLine>
        <CheckLine pass={check.rootMatches}>
          The proof path leads from the event's hash to the checkpoint's root hash.
        </CheckLine>
        <CheckLine pass={check.signature.keyMatches && check.signature.signatureValid}>
          The checkpoint's Ed25519 signature verifies with the server's public key.
        </CheckLine>
      </List>
    </Stack>
  );
}

function ProofDetails({
  event,
  proof,
  publicKeyPem,
}: {
  event: AuditEvent;
  proof: InclusionProof;
  publicKeyPem: string;
}) {
  const check = useQuery({
    queryKey: ['audit', 'inclusion-check', event.seq, proof.treeSize],
    queryFn: () => checkInclusion(event, proof, publicKeyPem),
    staleTime: Number.POSITIVE_INFINITY,
  });
  const { checkpoint } = proof.checkpoint;
  return (
    <Stack gap="sm">
      {check.isPending && <Loader size="sm" aria-label="Verifying the proof" />}
      {check.isError && <ErrorAlert error={check.error} title="The proof could not be verified" />}
      {check.isSuccess && <VerificationResult check={check.data} />}
      <Text size="sm">
        Checkpoint of {checkpoint.treeSize} events, signed {formatDateTime(checkpoint.signedAt)}.
      </Text>
      <Text size="xs" style={{ wordBreak: 'break-all' }}>
        Leaf {proof.leafIndex} hash: <Code>{proof.leafHash}</Code>
      </Text>
      <Text size="xs" style={{ wordBreak: 'break-all' }}>
        Root hash: <Code>{checkpoint.rootHash}</Code>
      </Text>
      <Text size="sm" fw={600}>
        Proof path ({proof.proof.length} {proof.proof.length === 1 ? 'hash' : 'hashes'}, leaf to
        root)
      </Text>
      <Code block>
        {proof.proof.length === 0 ? '(empty: the tree has one event)' : proof.proof.join('\n')}
      </Code>
      <Text size="sm" fw={600}>
        Event
      </Text>
      <Code block>{JSON.stringify(event, null, 2)}</Code>
    </Stack>
  );
}

/**
 * Shows the RFC 9162 inclusion proof of one event against the latest
 * signed checkpoint, and whether it verifies in this browser.
 */
export function InclusionProofModal({
  event,
  onClose,
}: {
  event: AuditEvent | null;
  onClose: () => void;
}) {
  const proof = useInclusionProof(event?.seq);
  const publicKey = usePublicKey();
  return (
    <Modal
      opened={event !== null}
      onClose={onClose}
      size="xl"
      title={event === null ? '' : `Inclusion proof of event ${event.seq} (${event.action})`}
    >
      {event !== null && (
        <Stack>
          {(proof.isPending || publicKey.isPending) && <Loader aria-label="Loading the proof" />}
          {proof.isError && (
            <ErrorAlert error={proof.error} title="The proof could not be loaded" />
          )}
          {publicKey.isError && (
            <ErrorAlert error={publicKey.error} title="The public key could not be loaded" />
          )}
          {proof.isSuccess && publicKey.isSuccess && (
            <ProofDetails
              event={event}
              proof={proof.data}
              publicKeyPem={publicKey.data.publicKeyPem}
            />
          )}
        </Stack>
      )}
    </Modal>
  );
}
