import { z } from 'zod';
import { plainText } from './text.ts';

/** Kinds of item an evidence file supports. */
export const EVIDENCE_SUBJECT_TYPES = ['exception', 'run', 'test', 'engagement'] as const;

/**
 * States of one evidence version. Only `available` can be downloaded:
 * `pending_upload` waits for the upload and its confirmation,
 * `scan_pending` for a scan that gave no verdict, `quarantined` marks a
 * file the scanner matched, and `rejected` a file whose bytes differed
 * from the declaration.
 */
export const EVIDENCE_STATES = [
  'pending_upload',
  'scan_pending',
  'available',
  'quarantined',
  'rejected',
] as const;

const isoDate = z.iso.date({ error: 'expected a date as YYYY-MM-DD' });

/** The period a file proves: one day, or a start and an end date. */
export const evidenceDateSchema = z
  .strictObject({ start: isoDate, end: isoDate.optional() })
  .refine((value) => value.end === undefined || value.start <= value.end, {
    error: 'expected end on or after start',
  });

const declaredFile = {
  fileName: plainText(255),
  /** Exact size in bytes. */
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** SHA-256 of the file as 64 hexadecimal digits. */
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, { error: 'expected 64 hexadecimal digits' }),
  contentType: z.string().min(3).max(255),
  evidenceDate: evidenceDateSchema.optional(),
};

/** Declare a new evidence item and its first version. */
export const declareEvidenceSchema = z.strictObject({
  subjectType: z.enum(EVIDENCE_SUBJECT_TYPES),
  /** An exception, run or test id, or an engagement's entity code. */
  subject: z.string().min(1).max(64),
  /** A label for the item; the file name when omitted. */
  title: plainText(255).optional(),
  ...declaredFile,
});

/** Declare a new version of an existing evidence item. */
export const declareEvidenceVersionSchema = z.strictObject(declaredFile);

export const evidenceIdParamsSchema = z.object({ id: z.uuid() });
export const evidenceVersionParamsSchema = z.object({
  id: z.uuid(),
  version: z.coerce.number().int().min(1).max(1_000_000),
});

/** The version a confirm, download or view acts on; the latest when omitted. */
export const evidenceVersionRequestSchema = z.strictObject({
  version: z.number().int().min(1).max(1_000_000).optional(),
});

export const updateEvidenceVersionSchema = z.strictObject({
  /** The period the file proves, or null to clear it. */
  evidenceDate: evidenceDateSchema.nullable(),
});

export const evidenceListQuerySchema = z.strictObject({
  subjectType: z.enum(EVIDENCE_SUBJECT_TYPES),
  subject: z.string().min(1).max(64),
});

/** A signed request the browser sends straight to storage. */
export const storageRequestSchema = z.object({
  method: z.enum(['GET', 'PUT']),
  url: z.string(),
  /** Headers to send unchanged, with lowercase names. */
  headers: z.record(z.string(), z.string()),
  expiresAt: z.iso.datetime(),
});

export const evidenceVersionSchema = z.object({
  version: z.number().int(),
  fileName: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  state: z.enum(EVIDENCE_STATES),
  declaredBy: z.string(),
  declaredAt: z.iso.datetime(),
  /** When the server first found and read the uploaded bytes; never changes. */
  uploadedAt: z.iso.datetime().nullable(),
  evidenceDate: z.object({ start: z.string(), end: z.string().nullable() }).nullable(),
  scannedAt: z.iso.datetime().nullable(),
  /** Signature the scanner matched, for a quarantined file. */
  scanSignature: z.string().nullable(),
  /** The reason the last scan gave no verdict, for a file in scan_pending. */
  scanError: z.string().nullable(),
  nextScanAt: z.iso.datetime().nullable(),
  rejectionReason: z.string().nullable(),
});

export const evidenceSchema = z.object({
  id: z.uuid(),
  entity: z.string(),
  subjectType: z.enum(EVIDENCE_SUBJECT_TYPES),
  subjectId: z.uuid(),
  title: z.string(),
  createdBy: z.string(),
  createdAt: z.iso.datetime(),
  versions: z.array(evidenceVersionSchema),
});

export const evidenceListSchema = z.object({ items: z.array(evidenceSchema) });

/** The response to a declaration: where to upload, and what to confirm afterwards. */
export const evidenceUploadSchema = z.object({
  evidenceId: z.uuid(),
  version: z.number().int(),
  state: z.enum(EVIDENCE_STATES),
  upload: storageRequestSchema,
});

/**
 * The evidence files this deployment accepts: the size limit and each
 * allowed media type with its allowed extensions. The browser checks a file
 * against it before reading the file to hash it.
 */
export const evidenceFilePolicySchema = z.object({
  maxBytes: z.number().int().positive(),
  fileTypes: z.array(
    z.object({
      contentType: z.string(),
      description: z.string(),
      extensions: z.array(z.string()),
    }),
  ),
});

/** The response to a download or view: a short-lived URL for one version. */
export const evidenceAccessSchema = z.object({
  evidenceId: z.uuid(),
  version: z.number().int(),
  fileName: z.string(),
  contentType: z.string(),
  request: storageRequestSchema,
});

export const quarantinedEvidenceSchema = z.object({
  evidenceId: z.uuid(),
  version: z.number().int(),
  entity: z.string(),
  title: z.string(),
  fileName: z.string(),
  sha256: z.string(),
  scanSignature: z.string(),
  scannedAt: z.iso.datetime(),
  declaredBy: z.string(),
});

export const quarantinedEvidenceListSchema = z.object({
  items: z.array(quarantinedEvidenceSchema),
});
