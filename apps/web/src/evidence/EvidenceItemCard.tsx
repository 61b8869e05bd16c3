import { Button, Code, Group, Modal, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatBytes, formatDateTime } from '../shared/format.ts';
import { markHiddenCharacters } from '../shared/invisible-characters.ts';
import { UntrustedText } from '../shared/UntrustedText.tsx';
import { useNow } from '../shared/use-now.ts';
import { EvidenceDateModal } from './EvidenceDateModal.tsx';
import { EvidenceStateBadge } from './EvidenceStateBadge.tsx';
import { EvidenceUploadForm } from './EvidenceUploadForm.tsx';
import {
  confirmEvidence,
  type EvidenceItem,
  type EvidenceVersion,
  evidenceKeys,
  requestEvidenceDownload,
} from './evidence-api.ts';
import { describeScanRetry } from './scan-retry.ts';
import { followDownload } from './storage-transfer.ts';

function formatEvidenceDate(date: EvidenceVersion['evidenceDate']): string {
  if (date === null) return 'none';
  return date.end === null || date.end === date.start ? date.start : `${date.start} to ${date.end}`;
}

/** Say when a pending scan runs again, updated as time passes so it never names a time in the past. */
function ScanRetryNote({ version }: { version: EvidenceVersion }) {
  const now = useNow(15_000);

  return (
    <Text size="xs" data-testid="scan-retry">
      No scan verdict yet{version.scanError === null ? '' : `: ${version.scanError}`}.{' '}
      {describeScanRetry(version.nextScanAt, now)}
    </Text>
  );
}

/** Explain a version's state: when a pending scan runs again, which signature matched, or why the file was rejected. */
function StateNote({ version }: { version: EvidenceVersion }) {
  switch (version.state) {
    case 'scan_pending':
      return <ScanRetryNote version={version} />;
    case 'quarantined':
      return (
        <Text size="xs">
          Matched <Code>{version.scanSignature ?? 'unknown signature'}</Code>. Kept for
          investigation; never downloadable.
        </Text>
      );
    case 'rejected':
      return (
        <Text size="xs">{version.rejectionReason ?? 'Its bytes differ from the declaration.'}</Text>
      );
    case 'pending_upload':
      return <Text size="xs">Declared, but the upload has not been confirmed.</Text>;
    case 'available':
      return (
        <Text size="xs">
          Scanned {version.scannedAt === null ? '' : formatDateTime(version.scannedAt)}
        </Text>
      );
  }
}

/**
 * One evidence item with every version, newest first: its state, dates and
 * the steps the user may take on each version.
 */
export function EvidenceItemCard({
  item,
  mayUpload,
  mayDownload,
  listKey,
}: {
  item: EvidenceItem;
  mayUpload: boolean;
  mayDownload: boolean;
  listKey: readonly unknown[];
}) {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<EvidenceVersion | null>(null);
  const [addingVersion, setAddingVersion] = useState(false);
  const versions = item.versions.toSorted((a, b) => b.version - a.version);

  const download = useMutation({
    mutationFn: async (version: EvidenceVersion) => {
      const access = await requestEvidenceDownload(item.id, version.version);
      await followDownload(access.request, access.fileName);
    },
  });
  const check = useMutation({
    mutationFn: (version: EvidenceVersion) => confirmEvidence(item.id, version.version),
    onSettled: () => queryClient.invalidateQueries({ queryKey: evidenceKeys.all }),
  });

  return (
    <Paper
      withBorder
      p="sm"
      component="article"
      data-testid="evidence-item"
      aria-label={markHiddenCharacters(item.title)}
    >
      <Stack gap="xs">
        <Group justify="space-between">
          <div>
            <Title order={3} size="h5">
              <UntrustedText text={item.title} />
            </Title>
            <Text size="xs" c="dimmed">
              Added by {item.createdBy}, {formatDateTime(item.createdAt)}
            </Text>
          </div>
          {mayUpload && (
            <Button size="xs" variant="default" onClick={() => setAddingVersion(true)}>
              Upload a new version
            </Button>
          )}
        </Group>
        {download.isError && <ErrorAlert error={download.error} title="The download failed" />}
        {check.isError && <ErrorAlert error={check.error} title="The check failed" />}
        <Table.ScrollContainer minWidth={800}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Version</Table.Th>
                <Table.Th>File</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Evidence date</Table.Th>
                <Table.Th>Uploaded</Table.Th>
                <Table.Th>Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {versions.map((version) => (
                <Table.Tr
                  key={version.version}
                  data-testid="evidence-version"
                  data-state={version.state}
                >
                  <Table.Td>{version.version}</Table.Td>
                  <Table.Td>
                    <Text size="sm">
                      <UntrustedText text={version.fileName} />
                    </Text>
                    <Text size="xs" c="dimmed">
                      {formatBytes(version.size)}, {version.contentType}
                    </Text>
                    <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                      SHA-256 {version.sha256}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Stack gap={4}>
                      <EvidenceStateBadge state={version.state} />
                      <StateNote version={version} />
                    </Stack>
                  </Table.Td>
                  <Table.Td>{formatEvidenceDate(version.evidenceDate)}</Table.Td>
                  <Table.Td>
                    <Text size="sm">
                      {version.uploadedAt === null ? 'not yet' : formatDateTime(version.uploadedAt)}
                    </Text>
                    <Text size="xs" c="dimmed">
                      declared by {version.declaredBy}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {mayDownload && version.state === 'available' && (
                        <Button
                          size="xs"
                          loading={download.isPending && download.variables === version}
                          onClick={() => download.mutate(version)}
                          aria-label={`Download ${markHiddenCharacters(version.fileName)}, version ${version.version}`}
                        >
                          Download
                        </Button>
                      )}
                      {mayUpload &&
                        (version.state === 'pending_upload' ||
                          version.state === 'scan_pending') && (
                          <Button
                            size="xs"
                            variant="default"
                            loading={check.isPending && check.variables === version}
                            onClick={() => check.mutate(version)}
                            aria-label={`Check again: ${markHiddenCharacters(version.fileName)}, version ${version.version}`}
                          >
                            Check again
                          </Button>
                        )}
                      {mayUpload && version.state !== 'rejected' && (
                        <Button
                          size="xs"
                          variant="default"
                          onClick={() => setEditing(version)}
                          aria-label={`Edit date: ${markHiddenCharacters(version.fileName)}, version ${version.version}`}
                        >
                          Edit date
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Stack>
      {editing !== null && (
        <EvidenceDateModal
          evidenceId={item.id}
          version={editing}
          onClose={() => setEditing(null)}
        />
      )}
      <Modal
        opened={addingVersion}
        onClose={() => setAddingVersion(false)}
        title={`New version of ${markHiddenCharacters(item.title)}`}
        size="lg"
      >
        <EvidenceUploadForm
          target={{ kind: 'version', evidenceId: item.id }}
          listKey={listKey}
          submitLabel="Upload new version"
        />
      </Modal>
    </Paper>
  );
}
