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
} as const;

export type SettingKey = keyof typeof SETTINGS_CATALOGUE;

export type SettingValue<Key extends SettingKey> = z.infer<
  (typeof SETTINGS_CATALOGUE)[Key]['schema']
>;

export const SETTING_KEYS = Object.keys(SETTINGS_CATALOGUE) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTINGS_CATALOGUE, key);
}
