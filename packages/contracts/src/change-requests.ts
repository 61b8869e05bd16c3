import { z } from 'zod';
import { multilineText } from './text.ts';

/** The requester's reason for a change, which the approver reads next to the diff. */
export const justificationSchema = multilineText(2000);

export const CHANGE_REQUEST_STATUSES = [
  'pending',
  'approved',
  'applied',
  'rejected',
  'stale',
  'expired',
] as const;

export const changeRequestStatusSchema = z.enum(CHANGE_REQUEST_STATUSES);

/** SHA-256 as 64 hex digits; upper case is folded to the lower case the server sends. */
export const sha256HexSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, { error: 'expected a SHA-256 hash as 64 hex digits' })
  .transform((hash) => hash.toLowerCase());

export const changeRequestSummarySchema = z.object({
  id: z.uuid(),
  kind: z.string(),
  entityId: z.uuid(),
  targetType: z.string(),
  targetKey: z.string(),
  /** A pending request past its expiry reads as expired. */
  status: changeRequestStatusSchema,
  justification: z.string(),
  requestedBy: z.uuid(),
  /** ai when an AI feature drafted the request on behalf of requestedBy. */
  requestedByType: z.enum(['user', 'ai']),
  requestedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  decidedBy: z.uuid().nullable(),
  decidedAt: z.iso.datetime().nullable(),
  decisionNote: z.string().nullable(),
  appliedAt: z.iso.datetime().nullable(),
});

export const changeRequestSchema = changeRequestSummarySchema.extend({
  /** The target's state when the request was made. */
  before: z.unknown(),
  /** The state that applying the request produces. */
  after: z.unknown(),
  /** SHA-256 of the RFC 8785 canonical JSON of {kind, targetKey, before, after}, hex. */
  diffSha256: z.string(),
  /** The hash the approver named, hex; null until approval. */
  approvedDiffSha256: z.string().nullable(),
});

/** The display name and email of a user named by requests on a page, by user id. */
export const changeRequestPeopleSchema = z.record(
  z.string(),
  z.object({ displayName: z.string(), email: z.string() }),
);

export const changeRequestListSchema = z.object({
  items: z.array(changeRequestSummarySchema),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: z.string().nullable(),
  /** The requesters and deciders of the listed requests. */
  people: changeRequestPeopleSchema,
});

/** One request, with the names of its requester and decider. */
export const changeRequestDetailSchema = changeRequestSchema.extend({
  people: changeRequestPeopleSchema,
});

export const changeRequestListQuerySchema = z.strictObject({
  status: changeRequestStatusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** The nextCursor of the previous page, unchanged. */
  cursor: z.string().min(1).max(200).optional(),
});

export const approveChangeRequestInputSchema = z.strictObject({
  /** The diff hash the approver reviewed; approval fails when it is not the request's. */
  diffSha256: sha256HexSchema,
  note: multilineText(2000).optional(),
});

export const rejectChangeRequestInputSchema = z.strictObject({
  note: multilineText(2000),
});

export type ChangeRequestStatus = z.infer<typeof changeRequestStatusSchema>;
export type ChangeRequestSummary = z.infer<typeof changeRequestSummarySchema>;
export type ChangeRequest = z.infer<typeof changeRequestSchema>;
export type ChangeRequestListQuery = z.infer<typeof changeRequestListQuerySchema>;
export type ApproveChangeRequestInput = z.infer<typeof approveChangeRequestInputSchema>;
export type RejectChangeRequestInput = z.infer<typeof rejectChangeRequestInputSchema>;
