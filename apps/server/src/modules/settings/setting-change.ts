import { z } from 'zod';
import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { AccessControl } from '../access/access-control.ts';
import type { Permission } from '../access/permissions.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import {
  type ChangeKind,
  type JsonValue,
  parseStoredState,
  type RegisteredChangeKind,
  registerChangeKind,
} from '../changes/change-kind.ts';
import { sameState } from '../changes/diff-hash.ts';
import { findRootEntity } from '../entities/entities.repository.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import { upsertSetting } from './settings.repository.ts';
import { isSettingKey, SETTINGS_CATALOGUE, type SettingKey } from './settings-catalogue.ts';
import type { SettingsReader } from './settings-reader.ts';

const settingUpdateInputSchema = z.strictObject({ key: z.string(), value: z.json() });

const settingStateSchema = z.object({
  key: z.string(),
  value: z.json(),
  version: z.number().int(),
});

export function settingNotFound(key: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No setting is named ${JSON.stringify(key)}. List the settings with GET /api/v1/settings.`,
  });
}

/** Validate a value against the setting's schema in the catalogue. */
export function parseSettingValue(key: SettingKey, value: unknown): JsonValue {
  const parsed = SETTINGS_CATALOGUE[key].schema.safeParse(value);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? 'invalid value';
    throw new AppError('VALIDATION_FAILED', {
      detail: `Invalid value for ${key}: ${message}. ${SETTINGS_CATALOGUE[key].description}`,
      extensions: { errors: [{ path: 'value', message }] },
    });
  }
  return parsed.data;
}

/**
 * Authorize `permission` on the organization root, which governs every
 * setting, and return the root's id. An actor whose scope does not reach
 * the root cannot even see it, and gets FORBIDDEN.
 */
export async function authorizeOnRoot(
  tx: Tx,
  access: AccessControl,
  actor: Actor,
  permission: Permission,
  options: { context?: RequestContext | undefined; draftsChangeRequest?: boolean },
): Promise<string> {
  const forbidden = () =>
    new AppError('FORBIDDEN', {
      detail: `Platform settings are organization-wide, so this needs the permission ${permission} on the organization root.`,
      extensions: { permission },
    });
  const root = await findRootEntity(tx);
  if (root === undefined) throw forbidden();

  await access.authorize(
    tx,
    actor,
    permission,
    { type: 'entity', id: root.id, entityId: root.id },
    {
      context: options.context,
      notFound: forbidden,
      draftsChangeRequest: options.draftsChangeRequest,
    },
  );
  return root.id;
}

function settingUpdate(deps: {
  access: AccessControl;
  settings: SettingsReader;
}): ChangeKind<z.infer<typeof settingUpdateInputSchema>> {
  const { access, settings } = deps;

  const stateOf = async (tx: Tx, key: SettingKey, lock: boolean) => {
    const current = await settings.read(tx, key, { lock });
    return { key, value: current.value, version: current.version };
  };

  return {
    kind: 'setting.update',
    inputSchema: settingUpdateInputSchema,

    async propose(tx, actor, input, options) {
      const rootId = await authorizeOnRoot(tx, access, actor, 'settings.request', {
        context: options.context,
        draftsChangeRequest: true,
      });
      if (!isSettingKey(input.key)) throw settingNotFound(input.key);
      const value = parseSettingValue(input.key, input.value);

      const before = await stateOf(tx, input.key, false);
      // The version always moves, so the generic "changes nothing" check cannot see this.
      if (sameState(before.value, value)) {
        throw new AppError('BUSINESS_RULE_VIOLATED', {
          detail: `Setting ${input.key} already has the value ${JSON.stringify(value)}.`,
        });
      }
      return {
        entityId: rootId,
        targetType: 'setting',
        targetKey: input.key,
        before,
        after: { key: input.key, value, version: before.version + 1 },
      };
    },

    async readState(tx, change) {
      if (!isSettingKey(change.targetKey)) throw settingNotFound(change.targetKey);
      return await stateOf(tx, change.targetKey, true);
    },

    // change_requests.decide on the root, which the service checks, is all a setting needs.
    async authorizeApprover() {},

    async apply(tx, approver, change, options) {
      const before = parseStoredState(settingStateSchema, change.before, 'setting.update state');
      const after = parseStoredState(settingStateSchema, change.after, 'setting.update state');
      if (!isSettingKey(after.key)) throw settingNotFound(after.key);
      const value = parseSettingValue(after.key, after.value);

      const stored = await upsertSetting(tx, {
        key: after.key,
        value,
        changeRequestId: change.id,
      });
      await appendAuditEvent(tx, {
        actor: approver,
        action: 'setting.changed',
        outcome: 'success',
        target: { type: 'setting', id: after.key },
        entityId: change.entityId,
        ...(options.context ? { context: options.context } : {}),
        details: {
          setting: after.key,
          from: before.value,
          to: value,
          version: Number(stored.version),
          changeRequestId: change.id,
          requestedBy: change.requestedBy,
        },
      });
    },
  };
}

export function createSettingUpdateChange(deps: {
  access: AccessControl;
  settings: SettingsReader;
}): RegisteredChangeKind {
  return registerChangeKind(settingUpdate(deps));
}
