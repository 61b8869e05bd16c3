import { sql } from 'kysely';
import type { Tx } from '../../platform/db/database.ts';

export interface SettingRow {
  key: string;
  value: unknown;
  version: string;
  change_request_id: string | null;
  updated_at: Date;
}

const COLUMNS = ['key', 'value', 'version', 'change_request_id', 'updated_at'] as const;

/** List every stored setting. Keys without a row have their catalogue default. */
export async function listSettingRows(tx: Tx): Promise<SettingRow[]> {
  return await tx.selectFrom('platform_settings').select(COLUMNS).orderBy('key').execute();
}

/** Load the stored row of `key`. With `lock`, the row stays locked until the transaction ends. */
export async function findSettingRow(
  tx: Tx,
  key: string,
  options: { lock: boolean } = { lock: false },
): Promise<SettingRow | undefined> {
  const query = tx.selectFrom('platform_settings').select(COLUMNS).where('key', '=', key);
  return await (options.lock ? query.forUpdate() : query).executeTakeFirst();
}

/** Store `value` for `key` and add 1 to its version (a first row gets version 1). */
export async function upsertSetting(
  tx: Tx,
  setting: { key: string; value: unknown; changeRequestId: string },
): Promise<SettingRow> {
  const value = JSON.stringify(setting.value);
  return await tx
    .insertInto('platform_settings')
    .values({ key: setting.key, value, change_request_id: setting.changeRequestId })
    .onConflict((conflict) =>
      conflict.column('key').doUpdateSet({
        value,
        version: sql<string>`platform_settings.version + 1`,
        change_request_id: setting.changeRequestId,
        updated_at: sql<Date>`now()`,
      }),
    )
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}
