import { Button, Collapse, Group, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import type { AccessCheck } from '../shared/own-access.ts';
import { EvidenceItemCard } from './EvidenceItemCard.tsx';
import { EvidenceUploadForm } from './EvidenceUploadForm.tsx';
import { type EvidenceSubjectType, evidenceKeys, listEvidence } from './evidence-api.ts';

/**
 * How often the panel reads the list again while a version waits for a
 * scan. The server's evidence-scans job retries every minute at the soonest.
 */
const SCAN_PENDING_REFRESH_MS = 30_000;

/**
 * Show the evidence of one subject (an exception, run, test or engagement): each
 * item with its versions, and an upload for users who hold evidence.upload
 * on the subject's entity. `subjectId` is the subject's id, or the
 * engagement's entity code.
 */
export function EvidencePanel({
  subjectType,
  subjectId,
  entityCode,
  access,
  signedOff = false,
}: {
  subjectType: EvidenceSubjectType;
  subjectId: string;
  entityCode: string;
  access: AccessCheck | undefined;
  /** True when a sign-off covers the subject, so the server accepts no new evidence. */
  signedOff?: boolean;
}) {
  const listKey = evidenceKeys.list(subjectType, subjectId);
  const [uploadOpen, upload] = useDisclosure(false);
  const evidence = useQuery({
    queryKey: listKey,
    queryFn: ({ signal }) => listEvidence(subjectType, subjectId, signal),
    refetchInterval: (query) =>
      query.state.data?.items.some((item) =>
        item.versions.some((version) => version.state === 'scan_pending'),
      )
        ? SCAN_PENDING_REFRESH_MS
        : false,
  });
  const mayUpload = !signedOff && access?.can('evidence.upload', entityCode) === true;
  const mayDownload = access?.can('evidence.read', entityCode) === true;

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="evidence-heading">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={2} size="h4" id="evidence-heading">
            Evidence
          </Title>
          {mayUpload && (
            <Button
              size="sm"
              variant={uploadOpen ? 'default' : 'filled'}
              onClick={upload.toggle}
              aria-expanded={uploadOpen}
              aria-controls="evidence-upload"
            >
              {uploadOpen ? 'Close the upload form' : 'Upload evidence'}
            </Button>
          )}
        </Group>
        {mayUpload && (
          <Collapse expanded={uploadOpen} id="evidence-upload">
            <Paper withBorder p="sm" bg="gray.0">
              <EvidenceUploadForm
                target={{ kind: 'item', subjectType, subject: subjectId }}
                listKey={listKey}
                submitLabel="Upload"
              />
            </Paper>
          </Collapse>
        )}
        {evidence.isError && (
          <ErrorAlert error={evidence.error} title="The evidence could not be loaded" />
        )}
        {evidence.isPending && <Loader aria-label="Loading the evidence" size="sm" />}
        {evidence.data?.items.length === 0 && <Text size="sm">No evidence yet.</Text>}
        {evidence.data?.items.map((item) => (
          <EvidenceItemCard
            key={item.id}
            item={item}
            mayUpload={mayUpload}
            mayDownload={mayDownload}
            listKey={listKey}
          />
        ))}
      </Stack>
    </Paper>
  );
}
