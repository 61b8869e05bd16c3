import { z } from 'zod';
import { entityCodeSchema } from './entities.ts';
import { multilineText, plainText } from './text.ts';

export const EXCEPTION_STATUS_VALUES = ['open', 'in_progress', 'proposed', 'closed'] as const;
export const DISPOSITION_VALUES = [
  'false_positive',
  'control_deficiency',
  'remediated',
  'risk_accepted',
  'duplicate',
] as const;
export const SEVERITY_VALUES = ['low', 'medium', 'high', 'critical'] as const;

export const exceptionIdParamsSchema = z.object({ id: z.uuid() });

/** `revision` is the exception's revision the caller last read; a different one is a 409. */
const revision = z.number().int().min(1).max(2_147_483_647).optional();

const emailSchema = z.email({ error: 'expected an email address' }).max(320);

export const assignExceptionSchema = z.strictObject({
  assignee: emailSchema,
  comment: multilineText(4000).optional(),
  revision,
});

export const proposeDispositionSchema = z.strictObject({
  disposition: z.enum(DISPOSITION_VALUES),
  rationale: multilineText(4000),
  /** Required with the disposition duplicate: the exception this one duplicates. */
  duplicateOf: z.uuid().optional(),
  revision,
});

export const decideExceptionSchema = z.strictObject({
  comment: multilineText(4000).optional(),
  revision,
});

export const returnExceptionSchema = z.strictObject({
  comment: multilineText(4000),
  revision,
});

export const commentBodySchema = z.strictObject({ body: multilineText(10000) });

export const commentThreadParamsSchema = z.object({ id: z.uuid(), threadId: z.uuid() });

const exceptionIdsSchema = z
  .array(z.uuid())
  .min(1, { error: 'expected at least one exception id' })
  .max(1000, { error: 'expected at most 1000 exception ids per request' })
  .refine((ids) => new Set(ids).size === ids.length, { error: 'expected each id once' });

export const bulkAssignSchema = z.strictObject({
  exceptionIds: exceptionIdsSchema,
  assignee: emailSchema,
  comment: multilineText(4000).optional(),
});

export const bulkProposeSchema = z.strictObject({
  exceptionIds: exceptionIdsSchema,
  disposition: z.enum(DISPOSITION_VALUES),
  rationale: multilineText(4000),
  duplicateOf: z.uuid().optional(),
});

export const retestRequestSchema = z.strictObject({
  exceptionIds: exceptionIdsSchema,
  /** Inputs the test version does not bind, as for POST /api/v1/runs. */
  inputs: z
    .record(
      z.string().regex(/^[a-z][a-z0-9_]{0,62}$/),
      z.strictObject({
        dataset: z.string().min(1).max(200),
        version: z.number().int().min(1).max(2_147_483_647).optional(),
      }),
    )
    .default({}),
  fieldMap: z.record(z.string().min(1).max(130), z.string().min(1).max(200)).default({}),
});

const csvOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((text) => text.split(',').map((item) => item.trim()))
    .pipe(z.array(z.enum(values)).min(1));

export const exceptionListQuerySchema = z.strictObject({
  entity: entityCodeSchema,
  test: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'expected a test key' })
    .optional(),
  run: z.uuid().optional(),
  status: csvOf(EXCEPTION_STATUS_VALUES).optional(),
  severity: csvOf(SEVERITY_VALUES).optional(),
  /** An email, `me` or `none`. */
  assignee: z.union([z.literal('me'), z.literal('none'), emailSchema]).optional(),
  minAgeDays: z.coerce.number().int().min(0).max(36500).optional(),
  maxAgeDays: z.coerce.number().int().min(0).max(36500).optional(),
  /** Text that the key values or the payload contain, ignoring case. */
  q: plainText(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** The `next` cursor of the previous page. */
  after: z.string().max(200).optional(),
});

/** GET /api/v1/exceptions/assignees: the entity whose exceptions are to be assigned. */
export const assigneeListQuerySchema = z.strictObject({ entity: entityCodeSchema });

/** The users an exception of the entity can be assigned to, by display name. */
export const assigneeListSchema = z.object({
  items: z.array(z.object({ id: z.uuid(), displayName: z.string(), email: z.string() })),
});

export const exceptionSummarySchema = z.object({
  id: z.uuid(),
  testKey: z.string(),
  entityCode: z.string(),
  status: z.enum(EXCEPTION_STATUS_VALUES),
  severity: z.enum(SEVERITY_VALUES),
  dueOn: z.string().nullable(),
  overdue: z.boolean(),
  ageDays: z.number().int(),
  assignee: z.string().nullable(),
  disposition: z.enum(DISPOSITION_VALUES).nullable(),
  keyValues: z.array(z.unknown()),
  firstRunId: z.uuid(),
  lastRunId: z.uuid(),
  revision: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const exceptionListSchema = z.object({
  items: z.array(exceptionSummarySchema),
  next: z.string().nullable(),
});

export const exceptionEventSchema = z.object({
  action: z.string(),
  fromStatus: z.string(),
  toStatus: z.string(),
  actor: z.string().nullable(),
  assignee: z.string().nullable(),
  disposition: z.string().nullable(),
  rationale: z.string().nullable(),
  comment: z.string().nullable(),
  runId: z.uuid().nullable(),
  at: z.iso.datetime(),
});

export const exceptionCommentSchema = z.object({
  id: z.uuid(),
  threadId: z.uuid(),
  version: z.number().int(),
  body: z.string(),
  author: z.string(),
  createdAt: z.iso.datetime(),
});

export const exceptionRetestSchema = z.object({
  runId: z.uuid(),
  requestedBy: z.string(),
  requestedAt: z.iso.datetime(),
  runStatus: z.string(),
  /** present: the run flagged the key again; absent: it did not; pending: the run has not succeeded. */
  result: z.enum(['present', 'absent', 'pending']),
});

export const SIGN_OFF_TARGET_TYPES = ['run', 'engagement'] as const;

export const exceptionDetailSchema = exceptionSummarySchema.extend({
  testId: z.uuid(),
  payload: z.record(z.string(), z.unknown()),
  rationale: z.string().nullable(),
  duplicateOf: z.uuid().nullable(),
  proposedBy: z.string().nullable(),
  proposedAt: z.iso.datetime().nullable(),
  reviewedBy: z.string().nullable(),
  reviewedAt: z.iso.datetime().nullable(),
  riskAcceptedBy: z.string().nullable(),
  riskAcceptedAt: z.iso.datetime().nullable(),
  closedAt: z.iso.datetime().nullable(),
  closedRunId: z.uuid().nullable(),
  closedReason: z.string().nullable(),
  reopenedRunId: z.uuid().nullable(),
  /**
   * A sign-off that makes the exception read-only: one on a run that
   * flagged it or on an engagement above it. Null when none covers it.
   */
  signedOff: z
    .object({
      signOffId: z.uuid(),
      targetType: z.enum(SIGN_OFF_TARGET_TYPES),
      targetId: z.uuid(),
    })
    .nullable(),
  history: z.array(exceptionEventSchema),
  comments: z.array(exceptionCommentSchema),
  retests: z.array(exceptionRetestSchema),
});

/** The result of one workflow step on an exception, such as assign, propose or approve. */
export const exceptionStepResultSchema = z.object({
  id: z.uuid(),
  status: z.enum(EXCEPTION_STATUS_VALUES),
  revision: z.number().int(),
});

/** The comment version that a new comment or an edit created. */
export const exceptionCommentResultSchema = z.object({
  id: z.uuid(),
  threadId: z.uuid(),
  version: z.number().int(),
});

export const bulkResultSchema = z.object({
  updated: z.array(z.object({ id: z.uuid(), status: z.enum(EXCEPTION_STATUS_VALUES) })),
});

export const retestResultSchema = z.object({ runId: z.uuid(), exceptionIds: z.array(z.uuid()) });

export const signOffRequestSchema = z.strictObject({
  targetType: z.enum(SIGN_OFF_TARGET_TYPES),
  /** A run id, or an engagement's entity code. */
  target: z.string().min(1).max(64),
  level: z.enum(['preparer', 'reviewer']),
});

export const signOffListQuerySchema = z.strictObject({
  targetType: z.enum(SIGN_OFF_TARGET_TYPES),
  target: z.string().min(1).max(64),
});

export const signOffIdParamsSchema = z.object({ id: z.uuid() });

export const withdrawSignOffSchema = z.strictObject({ reason: multilineText(2000) });

export const signOffSchema = z.object({
  id: z.uuid(),
  targetType: z.enum(SIGN_OFF_TARGET_TYPES),
  targetId: z.uuid(),
  level: z.enum(['preparer', 'reviewer']),
  signedBy: z.string(),
  signedAt: z.iso.datetime(),
  contentSha256: z.string(),
  /** withdrawn, stale (the item changed since), or current. */
  state: z.enum(['current', 'stale', 'withdrawn']),
  withdrawnBy: z.string().nullable(),
  withdrawnAt: z.iso.datetime().nullable(),
  withdrawalReason: z.string().nullable(),
});

export const signOffListSchema = z.object({
  targetType: z.enum(SIGN_OFF_TARGET_TYPES),
  targetId: z.uuid(),
  /** SHA-256 of the item as it is now. */
  currentSha256: z.string(),
  signOffs: z.array(signOffSchema),
});
