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
