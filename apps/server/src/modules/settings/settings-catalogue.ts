import { z } from 'zod';

interface SettingSpec<Value> {
  description: string;
  schema: z.ZodType<Value>;
  defaultValue: Value;
}

/**
 * The organization-wide settings that administrators change through
 * change requests. A key without a row in platform_settings has its
 * default. Add a key here only together with the code that reads it.
 */
export const SETTINGS_CATALOGUE = {
  'change_requests.ttl_hours': {
    description:
      'Hours a new change request stays open for a decision; after that it expires. Whole hours from 1 to 720 (30 days).',
    schema: z.number().int().min(1).max(720),
    defaultValue: 168,
  } satisfies SettingSpec<number>,
  'exceptions.due_days': {
    description:
      'Days from the day an exception is flagged, or reopened, to its due date, by severity. Whole days from 1 to 365 for each of critical, high, medium and low.',
    schema: z.strictObject({
      critical: z.number().int().min(1).max(365),
      high: z.number().int().min(1).max(365),
      medium: z.number().int().min(1).max(365),
      low: z.number().int().min(1).max(365),
    }),
    defaultValue: { critical: 7, high: 14, medium: 30, low: 60 },
  } satisfies SettingSpec<{ critical: number; high: number; medium: number; low: number }>,
} as const;

export type SettingKey = keyof typeof SETTINGS_CATALOGUE;

export type SettingValue<Key extends SettingKey> = z.infer<
  (typeof SETTINGS_CATALOGUE)[Key]['schema']
>;

export const SETTING_KEYS = Object.keys(SETTINGS_CATALOGUE) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS_CATALOGUE, key);
}
