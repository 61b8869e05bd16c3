import { z } from 'zod';
import { plainText } from './text.ts';

const hexHash = z.string().regex(/^[0-9a-f]{64}$/);
const seqSchema = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const auditOutcomeSchema = z.enum(['success', 'denied', 'failure']);
export const auditActorTypeSchema = z.enum(['user', 'system', 'scim', 'ai', 'anonymous']);

/** Query of GET /api/v1/audit/events. Times are ISO 8601 with an offset. */
export const auditSearchQuerySchema = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  actorId: z.uuid().optional(),
  actorType: auditActorTypeSchema.optional(),
  action: z
    .string()
    .regex(/^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/, {
      error: 'expected an action code such as auth.login_failed',
    })
    .optional(),
  outcome: auditOutcomeSchema.optional(),
  targetType: plainText(100).optional(),
  targetId: plainText(200).optional(),
  entityId: z.uuid().optional(),
  cursor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** One event as the hash chain covers it, with its two links. */
export const auditEventSchema = z.object({
  seq: z.number().int(),
  occurredAt: z.string(),
  actorType: auditActorTypeSchema,
  actorId: z.string().nullable(),
  onBehalfOf: z.string().nullable(),
  channel: z.string(),
  action: z.string(),
  outcome: auditOutcomeSchema,
  reasonCode: z.string().nullable(),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  entityId: z.string().nullable(),
  requestId: z.string().nullable(),
  correlationId: z.string().nullable(),
  ipAddress: z.string().nullable(),
  userAgent: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  prevHash: hexHash,
  hash: hexHash,
});

/** The display name and email of a user who acts, or is acted for, in the events of a page. */
export const auditActorNameSchema = z.object({ displayName: z.string(), email: z.string() });

export const auditEventPageSchema = z.object({
  events: z.array(auditEventSchema),
  nextCursor: z.string().nullable(),
  /**
   * Users named as actorId or onBehalfOf on this page, by id. Kept apart
   * from the events because the hash covers each event exactly as stored.
   */
  actors: z.record(z.string(), auditActorNameSchema),
});

export const signedCheckpointSchema = z.object({
  checkpoint: z.object({
    origin: z.string(),
    treeSize: z.number().int(),
    rootHash: hexHash,
    signedAt: z.string(),
    keyId: hexHash,
  }),
  signature: z.string(),
});

export const checkpointListSchema = z.object({ checkpoints: z.array(signedCheckpointSchema) });

export const inclusionProofParamsSchema = z.strictObject({ seq: seqSchema });
export const inclusionProofQuerySchema = z.strictObject({ treeSize: seqSchema.optional() });

export const inclusionProofSchema = z.object({
  seq: z.number().int(),
  leafIndex: z.number().int(),
  leafHash: hexHash,
  treeSize: z.number().int(),
  proof: z.array(hexHash),
  checkpoint: signedCheckpointSchema,
});

export const consistencyProofQuerySchema = z.strictObject({ first: seqSchema, second: seqSchema });

export const consistencyProofSchema = z.object({
  first: signedCheckpointSchema,
  second: signedCheckpointSchema,
  proof: z.array(hexHash),
});

export const auditPublicKeySchema = z.object({
  algorithm: z.literal('Ed25519'),
  keyId: hexHash,
  publicKeyPem: z.string(),
});

/** Damage kinds that a verification reports. malformed_export comes only from export files. */
export const auditDamageKindSchema = z.enum([
  'changed_event',
  'deleted_event',
  'inserted_event',
  'reordered_events',
  'truncated',
  'bad_checkpoint_signature',
  'checkpoint_mismatch',
  'malformed_export',
]);

/**
 * Response of GET /api/v1/audit/verification. `state` is `intact` only when
 * the latest result found no damage and is recent. It is `stale` when that
 * result is older than `staleAfterSeconds`, and `unverified` when there is none.
 */
export const auditVerificationSchema = z.object({
  state: z.enum(['intact', 'damaged', 'failed', 'stale', 'unverified']),
  intervalSeconds: z.number().int(),
  staleAfterSeconds: z.number().int(),
  latest: z
    .object({
      recordedAt: z.string(),
      startedAt: z.string(),
      durationMs: z.number().int(),
      treeSize: z.number().int(),
      checkpoints: z.number().int(),
      outcome: z.enum(['intact', 'damaged', 'failed']),
      damage: z
        .object({ seq: z.number().int(), kind: auditDamageKindSchema, description: z.string() })
        .nullable(),
      instance: z.string(),
    })
    .nullable(),
});

export type AuditSearchQuery = z.infer<typeof auditSearchQuerySchema>;
export type AuditEvent = z.infer<typeof auditEventSchema>;
export type AuditVerification = z.infer<typeof auditVerificationSchema>;
