import { z } from 'zod';

/** RFC 9457 problem document as Peytonix sends it. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string(),
  instance: z.string().optional(),
  requestId: z.string(),
});

export type Problem = z.infer<typeof problemSchema>;
