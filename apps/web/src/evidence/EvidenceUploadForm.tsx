import { Button, FileInput, Group, Paper, Stack, Text, TextInput } from '@mantine/core';
import { plainText } from '@peytonix/contracts';
import { useState } from 'react';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatBytes } from '../shared/format.ts';
import { markHiddenCharacters } from '../shared/invisible-characters.ts';
import { UploadProgress } from '../shared/UploadProgress.tsx';
import { validateWith } from '../shared/zod-validator.ts';
import {
  EvidenceDateFields,
  type EvidenceDateValues,
  parseEvidenceDate,
} from './EvidenceDateFields.tsx';
import { EvidenceStateBadge } from './EvidenceStateBadge.tsx';
import { type EvidenceVersion, useEvidenceFilePolicy } from './evidence-api.ts';
import { acceptedExtensions, fileProblem } from './evidence-files.ts';
import { describeScanRetry } from './scan-retry.ts';
import { type UploadTarget, useEvidenceUpload } from './use-evidence-upload.ts';

const validateTitle = validateWith(plainText(255));

function withoutFinalPeriod(sentence: string): string {
  return sentence.endsWith('.') ? sentence.slice(0, -1) : sentence;
}

/** Describe what the confirmation found, in words a user can act on. */
export function describeOutcome(version: EvidenceVersion): string {
  const name = `${markHiddenCharacters(version.fileName)} (version ${version.version})`;
  switch (version.state) {
    case 'available':
      return `${name} passed verification and the malware scan, and can be downloaded.`;
    case 'scan_pending':
      return `${name} is stored but the malware scan gave no verdict${version.scanError === null ? '' : ` (${version.scanError})`}, so it cannot be downloaded until a scan finds it clean. ${describeScanRetry(version.nextScanAt, new Date())}`;
    case 'quarantined':
      return `${name} matched the malware signature ${version.scanSignature ?? 'unknown'} and is quarantined. It is kept for investigation and can never be downloaded.`;
    case 'rejected':
      return `${name} was rejected: ${withoutFinalPeriod(version.rejectionReason ?? 'its bytes differ from the declaration')}. Upload the file again.`;
    case 'pending_upload':
      return `${name} has not arrived in storage yet. Upload it again.`;
  }
}

/**
 * Pick a file and upload it as a new evidence item of a subject, or as a new
 * version of an item, showing each stage and the upload's progress.
 */
export function EvidenceUploadForm({
  target,
  listKey,
  submitLabel,
  onDone,
}: {
  target:
    | Omit<Extract<UploadTarget, { kind: 'item' }>, 'title'>
    | Extract<UploadTarget, { kind: 'version' }>;
  listKey: readonly unknown[];
  submitLabel: string;
  onDone?: (version: EvidenceVersion) => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [title, setTitle] = useState('');
  const [titleError, setTitleError] = useState<string | null>(null);
  const [dates, setDates] = useState<EvidenceDateValues>({ start: '', end: '' });
  const [dateError, setDateError] = useState<string | null>(null);
  const trimmedTitle = title.trim();
  const uploadTarget: UploadTarget =
    target.kind === 'item'
      ? { ...target, title: trimmedTitle === '' ? undefined : trimmedTitle }
      : target;
  const { upload, stage } = useEvidenceUpload(uploadTarget, listKey);
  const policy = useEvidenceFilePolicy();

  const submit = () => {
    if (policy.data === undefined) return;
    if (file === null) {
      setFileError('Choose a file to upload');
      return;
    }
    const problem = fileProblem(file, policy.data);
    if (problem !== null) {
      setFileError(problem);
      return;
    }
    if (target.kind === 'item' && trimmedTitle !== '') {
      const problem = validateTitle(trimmedTitle);
      if (problem !== null) {
        setTitleError(problem);
        return;
      }
    }
    const parsed = parseEvidenceDate(dates);
    if ('error' in parsed) {
      setDateError(parsed.error);
      return;
    }
    upload.mutate(
      { file, evidenceDate: parsed.date, policy: policy.data },
      {
        onSuccess: (version) => {
          setFile(null);
          setTitle('');
          setDates({ start: '', end: '' });
          onDone?.(version);
        },
      },
    );
  };

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <Stack gap="sm">
        <FileInput
          label="File"
          description={
            policy.data === undefined
              ? 'PDF, image, Office document, CSV, text, JSON, XML, e-mail or ZIP'
              : `${policy.data.fileTypes.map((type) => type.description).join(', ')}; up to ${formatBytes(policy.data.maxBytes)}`
          }
          {...(policy.data === undefined ? {} : { accept: acceptedExtensions(policy.data) })}
          value={file}
          error={fileError}
          clearable
          clearButtonProps={{ 'aria-label': 'Clear the chosen file' }}
          disabled={upload.isPending}
          onChange={(value) => {
            setFile(value);
            setFileError(
              value === null || policy.data === undefined ? null : fileProblem(value, policy.data),
            );
            upload.reset();
          }}
        />
        {target.kind === 'item' && (
          <TextInput
            label="Title (optional)"
            description="A label for the item. Without one, the item takes the file name."
            maxLength={255}
            value={title}
            error={titleError}
            disabled={upload.isPending}
            onChange={(event) => {
              setTitle(event.currentTarget.value);
              setTitleError(null);
            }}
          />
        )}
        <EvidenceDateFields
          values={dates}
          error={dateError}
          onChange={(values) => {
            setDates(values);
            setDateError(null);
          }}
        />
        <Group>
          <Button
            type="submit"
            loading={upload.isPending || policy.isPending}
            disabled={policy.isError}
          >
            {submitLabel}
          </Button>
          {file !== null && !upload.isPending && (
            <Text size="sm" c="dimmed">
              {file.name}, {formatBytes(file.size)}
            </Text>
          )}
        </Group>
        {policy.isError && (
          <ErrorAlert
            error={policy.error}
            title="The accepted file types could not be loaded, so uploads are off"
          />
        )}
        {stage !== null && <UploadProgress stage={stage} />}
        {upload.isError && <ErrorAlert error={upload.error} title="The upload failed" />}
        {upload.isSuccess && (
          <Paper withBorder p="sm" role="status" data-testid="upload-outcome">
            <Group gap="xs" mb={4}>
              <EvidenceStateBadge state={upload.data.state} />
              <Text size="sm" fw={500}>
                Upload checked
              </Text>
            </Group>
            <Text size="sm">{describeOutcome(upload.data)}</Text>
          </Paper>
        )}
      </Stack>
    </form>
  );
}
