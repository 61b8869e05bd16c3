import { z } from 'zod';
import { justificationSchema } from './change-requests.ts';

/** Same rule as the CHECK constraint on platform_settings.key. */
export const settingKeySchema = z
  .string()
  .max(200, { error: 'expected at most 200 characters' })
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, {
    error: 'expected a dotted setting key such as change_requests.ttl_hours',
  });

export const settingSchema = z.object({
  key: z.string(),
  description: z.string(),
  value: z.unknown(),
  defaultValue: z.unknown(),
  /** 0 while the setting has its default; each applied change adds 1. */
  version: z.number().int(),
  updatedAt: z.iso.datetime().nullable(),
  /** The change request that set the current value; null for the default. */
  changeRequestId: z.uuid().nullable(),
});

export const settingListSchema = z.object({ items: z.array(settingSchema) });

export const settingParamsSchema = z.strictObject({ key: settingKeySchema });

/**
 * The value is checked against the setting's own schema on the server.
 * Any JSON value passes here; z.json() would put a recursive schema into
 * the OpenAPI document.
 */
export const settingChangeInputSchema = z.strictObject({
  value: z.unknown().refine((value) => value !== undefined, { error: 'expected a value' }),
  justification: justificationSchema,
});

export type Setting = z.infer<typeof settingSchema>;
export type SettingChangeInput = z.infer<typeof settingChangeInputSchema>;
