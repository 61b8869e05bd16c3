import type { Logger } from 'pino';
import type { Tx } from '../../platform/db/database.ts';
import { findSettingRow, type SettingRow } from './settings.repository.ts';
import { SETTINGS_CATALOGUE, type SettingKey, type SettingValue } from './settings-catalogue.ts';

/** A setting's value as the platform uses it, with where it came from. */
export interface EffectiveSetting<Key extends SettingKey = SettingKey> {
  key: Key;
  value: SettingValue<Key>;
  /** 0 while the default applies; each applied change adds 1. */
  version: number;
  updatedAt: Date | null;
  changeRequestId: string | null;
}

export interface SettingsReader {
  /**
   * The effective setting: the stored value, or the default when no row
   * exists. With `lock`, a stored row stays locked until the transaction
   * ends.
   */
  read<Key extends SettingKey>(
    tx: Tx,
    key: Key,
    options?: { lock: boolean },
  ): Promise<EffectiveSetting<Key>>;
  /** The effective value of `key`. */
  valueOf<Key extends SettingKey>(tx: Tx, key: Key): Promise<SettingValue<Key>>;
  /** The effective setting for a stored row, or for no row. */
  fromRow<Key extends SettingKey>(key: Key, row: SettingRow | undefined): EffectiveSetting<Key>;
}

export function createSettingsReader(deps: { logger: Logger }): SettingsReader {
  const fromRow = <Key extends SettingKey>(
    key: Key,
    row: SettingRow | undefined,
  ): EffectiveSetting<Key> => {
    const spec = SETTINGS_CATALOGUE[key];
    const defaults: EffectiveSetting<Key> = {
      key,
      value: spec.defaultValue as SettingValue<Key>,
      version: 0,
      updatedAt: null,
      changeRequestId: null,
    };
    if (row === undefined) return defaults;

    const parsed = spec.schema.safeParse(row.value);
    if (!parsed.success) {
      // A stored value that no longer fits its schema (the catalogue
      // narrowed it) is not used; the default applies until it is changed.
      deps.logger.warn(
        { setting: key, version: row.version, issues: parsed.error.issues },
        'stored setting does not match its schema; using the default',
      );
      return {
        ...defaults,
        version: Number(row.version),
        updatedAt: row.updated_at,
        changeRequestId: row.change_request_id,
      };
    }
    return {
      key,
      value: parsed.data as SettingValue<Key>,
      version: Number(row.version),
      updatedAt: row.updated_at,
      changeRequestId: row.change_request_id,
    };
  };

  return {
    fromRow,

    async read(tx, key, options = { lock: false }) {
      return fromRow(key, await findSettingRow(tx, key, options));
    },

    async valueOf(tx, key) {
      return fromRow(key, await findSettingRow(tx, key)).value;
    },
  };
}
