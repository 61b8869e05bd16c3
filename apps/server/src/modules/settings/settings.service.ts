import type { ChangeRequest, Setting, SettingChangeInput } from '@peytonix/contracts';
import type { Db } from '../../platform/db/database.ts';
import type { AccessControl } from '../access/access-control.ts';
import { withActor } from '../access/actor-scope.ts';
import type { ChangeRequestsService } from '../changes/change-requests.service.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import { authorizeOnRoot } from './setting-change.ts';
import { listSettingRows } from './settings.repository.ts';
import { SETTING_KEYS, SETTINGS_CATALOGUE } from './settings-catalogue.ts';
import type { SettingsReader } from './settings-reader.ts';

export interface SettingsService {
  /** Every setting in the catalogue with its effective value. */
  list(actor: Actor): Promise<Setting[]>;
  /** Request a new value for a setting, as a setting.update change request. */
  requestChange(
    actor: Actor,
    key: string,
    input: SettingChangeInput,
    context?: RequestContext,
  ): Promise<ChangeRequest>;
}

/** Platform settings: reading them, and requesting changes that another person approves. */
export function createSettingsService(deps: {
  db: Db;
  access: AccessControl;
  settings: SettingsReader;
  changeRequests: ChangeRequestsService;
}): SettingsService {
  const { db, access, settings, changeRequests } = deps;

  return {
    async list(actor) {
      return await withActor(db, actor, async (tx) => {
        await authorizeOnRoot(tx, access, actor, 'settings.read', {});
        const rows = new Map((await listSettingRows(tx)).map((row) => [row.key, row]));

        return SETTING_KEYS.map((key) => {
          const effective = settings.fromRow(key, rows.get(key));
          return {
            key,
            description: SETTINGS_CATALOGUE[key].description,
            value: effective.value,
            defaultValue: SETTINGS_CATALOGUE[key].defaultValue,
            version: effective.version,
            updatedAt: effective.updatedAt?.toISOString() ?? null,
            changeRequestId: effective.changeRequestId,
          };
        });
      });
    },

    async requestChange(actor, key, input, context) {
      return await changeRequests.create(
        actor,
        {
          kind: 'setting.update',
          input: { key, value: input.value },
          justification: input.justification,
        },
        context,
      );
    },
  };
}
