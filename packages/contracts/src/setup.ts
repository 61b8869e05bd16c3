import { z } from 'zod';

/** Public setup state, so the web app can tell a new deployment how to begin. */
export const setupStatusSchema = z.object({
  initialized: z.boolean(),
});

export type SetupStatus = z.infer<typeof setupStatusSchema>;
