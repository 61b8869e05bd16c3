import { z } from 'zod';
import { justificationSchema } from './change-requests.ts';
import { entityCodeSchema } from './entities.ts';

/** Same rule as the CHECK constraint on test_definitions.key. */
export const testKeySchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'expected a test key such as large-payments' });

/** A request to make a draft version of a test the active one, which another person approves. */
export const testActivationRequestInputSchema = z.strictObject({
  entity: entityCodeSchema,
  test: testKeySchema,
  /** The version number that `peytonix tests import` printed, within the PostgreSQL integer range. */
  version: z
    .number()
    .int({ error: 'expected a whole version number' })
    .min(1, { error: 'expected a version number of 1 or more' })
    .max(2_147_483_647, { error: 'expected a version number below 2147483648' }),
  justification: justificationSchema,
});

export type TestActivationRequestInput = z.infer<typeof testActivationRequestInputSchema>;

/** Store a definition as a new draft version of its test; the server validates the definition. */
export const testDraftInputSchema = z.strictObject({
  entity: z.string().min(1).max(64),
  /** The definition in the form `peytonix tests import` reads: key, name, inputs, sql, … */
  definition: z.record(z.string(), z.unknown()),
});

export const draftedVersionSchema = z.object({
  testId: z.uuid(),
  key: z.string(),
  version: z.number().int(),
  versionId: z.uuid(),
  state: z.string(),
});

export const testDefinitionQuerySchema = z.strictObject({
  entity: z.string().min(1).max(64),
  /** A version number; the active version when absent. */
  version: z.coerce.number().int().min(1).max(1_000_000).optional(),
});

export const testVersionsQuerySchema = z.strictObject({ entity: z.string().min(1).max(64) });

/** A version in definition-file form, with its number and state. */
export const testDefinitionSchema = z
  .object({ key: z.string(), version: z.number().int(), state: z.string(), sql: z.string() })
  .catchall(z.unknown());

export const testVersionListSchema = z.object({
  key: z.string(),
  versions: z.array(
    z.object({
      version: z.number().int(),
      state: z.string(),
      name: z.string(),
      createdBy: z.string(),
      createdAt: z.iso.datetime(),
      decidedAt: z.iso.datetime().nullable(),
    }),
  ),
});
