import {
  type EVIDENCE_STATES,
  type EVIDENCE_SUBJECT_TYPES,
  evidenceAccessSchema,
  evidenceFilePolicySchema,
  evidenceListSchema,
  evidenceSchema,
  evidenceUploadSchema,
} from '@peytonix/contracts';
import { useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../api/client.ts';

// Client functions for the evidence routes (docs/evidence.md).

export type EvidenceSubjectType = (typeof EVIDENCE_SUBJECT_TYPES)[number];
export type EvidenceState = (typeof EVIDENCE_STATES)[number];
export type EvidenceItem = z.infer<typeof evidenceSchema>;
export type EvidenceVersion = EvidenceItem['versions'][number];
export type EvidenceUpload = z.infer<typeof evidenceUploadSchema>;
export type EvidenceAccess = z.infer<typeof evidenceAccessSchema>;
export type StorageRequest = EvidenceUpload['upload'];
export type EvidenceFilePolicy = z.infer<typeof evidenceFilePolicySchema>;

/** The period a file proves: one day, or a start and an end, as YYYY-MM-DD. */
export interface EvidenceDate {
  start: string;
  end?: string | undefined;
}

/** Declaration of a file, which the browser sends before it uploads the file. */
export interface FileDeclaration {
  fileName: string;
  size: number;
  sha256: string;
  contentType: string;
  evidenceDate?: EvidenceDate | undefined;
}

export const evidenceKeys = {
  all: ['evidence'] as const,
  policy: ['evidence-policy'] as const,
  list: (subjectType: EvidenceSubjectType, subject: string) =>
    ['evidence', 'list', subjectType, subject] as const,
};

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

function dateBody(date: EvidenceDate | undefined) {
  return date === undefined ? undefined : withoutUndefined(date);
}

export function listEvidence(
  subjectType: EvidenceSubjectType,
  subject: string,
  signal?: AbortSignal,
) {
  const query = new URLSearchParams({ subjectType, subject });
  return apiRequest(`/api/v1/evidence?${query.toString()}`, {
    schema: evidenceListSchema,
    ...(signal === undefined ? {} : { signal }),
  });
}

/** Declare a new evidence item and its first version; returns where to upload it. */
export function declareEvidence(
  subjectType: EvidenceSubjectType,
  subject: string,
  title: string | undefined,
  file: FileDeclaration,
) {
  return apiRequest('/api/v1/evidence/uploads', {
    method: 'POST',
    body: withoutUndefined({
      subjectType,
      subject,
      title,
      ...file,
      evidenceDate: dateBody(file.evidenceDate),
    }),
    schema: evidenceUploadSchema,
  });
}

/** Declare a new version of an existing item; earlier versions stay. */
export function declareEvidenceVersion(evidenceId: string, file: FileDeclaration) {
  return apiRequest(`/api/v1/evidence/${encodeURIComponent(evidenceId)}/versions`, {
    method: 'POST',
    body: withoutUndefined({ ...file, evidenceDate: dateBody(file.evidenceDate) }),
    schema: evidenceUploadSchema,
  });
}

/** Ask the server to verify and scan an uploaded version; returns the item with its new state. */
export function confirmEvidence(evidenceId: string, version: number) {
  return apiRequest(`/api/v1/evidence/${encodeURIComponent(evidenceId)}/confirm`, {
    method: 'POST',
    body: { version },
    schema: evidenceSchema,
  });
}

/** Set the period a version proves, or clear it with null. */
export function setEvidenceDate(evidenceId: string, version: number, date: EvidenceDate | null) {
  return apiRequest(
    `/api/v1/evidence/${encodeURIComponent(evidenceId)}/versions/${String(version)}`,
    {
      method: 'PATCH',
      body: { evidenceDate: date === null ? null : dateBody(date) },
      schema: evidenceSchema,
    },
  );
}

/** Get a short-lived signed request that downloads exactly the verified bytes of a version. */
export function requestEvidenceDownload(evidenceId: string, version: number) {
  return apiRequest(`/api/v1/evidence/${encodeURIComponent(evidenceId)}/download`, {
    method: 'POST',
    body: { version },
    schema: evidenceAccessSchema,
  });
}

/** Load the size limit and the file types that the server accepts as evidence. */
export function useEvidenceFilePolicy() {
  return useQuery({
    queryKey: evidenceKeys.policy,
    queryFn: ({ signal }) =>
      apiRequest('/api/v1/evidence/policy', { schema: evidenceFilePolicySchema, signal }),
    staleTime: Number.POSITIVE_INFINITY,
  });
}
