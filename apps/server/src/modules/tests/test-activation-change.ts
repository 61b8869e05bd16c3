import { z } from 'zod';
import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { AccessControl } from '../access/access-control.ts';
import type { SeparationOfDuties } from '../access/separation-of-duties.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import {
  type ChangeKind,
  type JsonValue,
  parseStoredState,
  type RegisteredChangeKind,
  registerChangeKind,
  type StoredChange,
} from '../changes/change-kind.ts';
import type { Actor } from '../identity/actor.ts';
import {
  activateDraftVersion,
  findActiveVersion,
  findTestById,
  findTestVersion,
  lockTestDefinition,
  supersedeVersion,
} from './test-definitions.repository.ts';

export const TEST_ACTIVATION_KIND = 'test_version.activate';

const TARGET_PREFIX = 'test_version:';

const testActivationInputSchema = z.strictObject({
  versionId: z.uuid().transform((id) => id.toLowerCase()),
});

const versionReferenceSchema = z.object({ id: z.string(), version: z.number().int() });

/**
 * What an activation depends on: the test's active version, and the
 * candidate's state. readState returns this shape, so a version activated
 * in between, or a candidate that left draft, turns the request stale.
 */
const activationStateSchema = z.object({
  testId: z.string(),
  testKey: z.string(),
  activeVersion: versionReferenceSchema.nullable(),
  candidate: versionReferenceSchema.extend({ state: z.string() }),
});

/**
 * The test once the candidate is active. The candidate carries its whole
 * content, so the diff hash the approver names covers the exact SQL,
 * inputs, parameters, schedule and dataset bindings that real runs will use.
 */
const activatedStateSchema = activationStateSchema.extend({
  activeVersion: versionReferenceSchema,
  candidate: versionReferenceSchema.extend({
    state: z.literal('active'),
    name: z.string(),
    description: z.string(),
    controlReference: z.string().nullable(),
    severity: z.string(),
    sql: z.string(),
    summarySql: z.string().nullable(),
    inputs: z.json(),
    parameters: z.json(),
    keyColumns: z.array(z.string()),
    schedule: z.string().nullable(),
    // Optional, because requests made before bindings existed carry none.
    bindings: z.json().optional(),
    preparedBy: z.string(),
  }),
});

type ActivationState = z.infer<typeof activationStateSchema>;

type TestVersionRow = NonNullable<Awaited<ReturnType<typeof findTestVersion>>>;

function versionIdOf(targetKey: string): string {
  return targetKey.slice(TARGET_PREFIX.length);
}

function versionNotFound(versionId: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No test version with id ${versionId} is visible to you. List tests with "peytonix tests list" or GET /api/v1/tests.`,
  });
}

function activationState(
  test: { id: string; key: string },
  active: TestVersionRow | undefined,
  candidate: TestVersionRow,
): ActivationState {
  return {
    testId: test.id,
    testKey: test.key,
    activeVersion: active === undefined ? null : { id: active.id, version: active.version },
    candidate: { id: candidate.id, version: candidate.version, state: candidate.state },
  };
}

function activatedState(before: ActivationState, candidate: TestVersionRow) {
  return {
    testId: before.testId,
    testKey: before.testKey,
    activeVersion: { id: candidate.id, version: candidate.version },
    candidate: {
      id: candidate.id,
      version: candidate.version,
      state: 'active' as const,
      name: candidate.name,
      description: candidate.description,
      controlReference: candidate.control_reference,
      severity: candidate.severity,
      sql: candidate.sql,
      summarySql: candidate.summary_sql,
      inputs: candidate.inputs as JsonValue,
      parameters: candidate.parameters as JsonValue,
      keyColumns: candidate.key_columns,
      schedule: candidate.schedule,
      bindings: candidate.bindings as JsonValue,
      preparedBy: candidate.created_by,
    },
  };
}

/** Return the approver's user id. The change-request service lets only users approve, so other principals never get here. */
function approverId(approver: Actor): string {
  if (approver.type !== 'user') {
    throw new Error(`a ${approver.type} principal cannot apply changes`);
  }
  return approver.userId;
}

/**
 * test_version.activate: make a draft test version the active one, and
 * supersede the version that was active. The requester needs tests.draft
 * on the test's entity. The approver needs change_requests.decide there
 * and must not be the version's preparer (SOD_PREPARER_CANNOT_REVIEW),
 * besides the author rule that every kind has.
 */
function testActivation(deps: {
  access: AccessControl;
  separationOfDuties: SeparationOfDuties;
}): ChangeKind<z.infer<typeof testActivationInputSchema>> {
  const { access, separationOfDuties } = deps;

  /** Load a version and its test. Both are under row-level security, so a version out of scope reads as missing. */
  const loadVersion = async (tx: Tx, versionId: string) => {
    const version = await findTestVersion(tx, versionId);
    if (version === undefined) throw versionNotFound(versionId);
    const test = await findTestById(tx, version.test_id);
    if (test === undefined) throw versionNotFound(versionId);
    return { version, test };
  };

  return {
    kind: TEST_ACTIVATION_KIND,
    inputSchema: testActivationInputSchema,

    async propose(tx, actor, input, options) {
      const { version, test } = await loadVersion(tx, input.versionId);
      await access.authorize(
        tx,
        actor,
        'tests.draft',
        { type: 'test_version', id: version.id, entityId: test.entity_id },
        {
          context: options.context,
          notFound: () => versionNotFound(input.versionId),
          draftsChangeRequest: true,
        },
      );
      if (version.state !== 'draft') {
        throw new AppError('BUSINESS_RULE_VIOLATED', {
          detail: `Test ${test.key} version ${version.version} is ${version.state}, and only a draft version can be activated. Import the definition again to draft a new version.`,
          extensions: { state: version.state },
        });
      }

      const before = activationState(test, await findActiveVersion(tx, test.id), version);
      return {
        entityId: test.entity_id,
        targetType: 'test_version',
        targetKey: `${TARGET_PREFIX}${version.id}`,
        before,
        after: activatedState(before, version),
      };
    },

    async readState(tx, change) {
      const stored = parseStoredState(activationStateSchema, change.before, 'activation state');
      // Lock the test first. Other activations and new drafts of the test take the same lock,
      // so the state read here stays valid until apply commits.
      const test = await lockTestDefinition(tx, stored.testId);
      const candidate = await findTestVersion(tx, versionIdOf(change.targetKey));
      if (test === undefined || candidate === undefined) return null;
      return activationState(test, await findActiveVersion(tx, test.id), candidate);
    },

    async authorizeApprover(tx, actor, change, options) {
      const versionId = versionIdOf(change.targetKey);
      const version = await findTestVersion(tx, versionId);
      if (version === undefined) throw versionNotFound(versionId);
      await separationOfDuties.assertNotPreparer(
        {
          actor,
          target: { type: 'test_version', id: version.id, entityId: change.entityId },
          context: options.context,
        },
        version.created_by,
      );
    },

    async apply(tx, approver, change, options) {
      const before = parseStoredState(activationStateSchema, change.before, 'activation state');
      const after = parseStoredState(activatedStateSchema, change.after, 'activation state');
      const auditContext = options.context ? { context: options.context } : {};

      // readState matched before_state under the test's lock in this
      // transaction, so these updates find the states it read. Superseding
      // comes first because the database allows one active version per test.
      const superseded = before.activeVersion;
      if (superseded !== null && !(await supersedeVersion(tx, superseded.id))) {
        throw concurrentChange(change, after.testKey);
      }
      const activated = await activateDraftVersion(tx, after.candidate.id, {
        decidedBy: approverId(approver),
        // NOTE: a kind does not receive the approver's note, so the version
        // points to the change request, which contains the note and the justification.
        note: `Activated through change request ${change.id}.`,
      });
      if (!activated) throw concurrentChange(change, after.testKey);

      if (superseded !== null) {
        await appendAuditEvent(tx, {
          actor: approver,
          action: 'test_definition.superseded',
          outcome: 'success',
          target: { type: 'test_version', id: superseded.id },
          entityId: change.entityId,
          ...auditContext,
          // Named test, not testKey: the audit trail redacts members whose name contains "key".
          details: {
            test: after.testKey,
            version: superseded.version,
            supersededByVersion: after.candidate.version,
            changeRequestId: change.id,
          },
        });
      }
      await appendAuditEvent(tx, {
        actor: approver,
        action: 'test_definition.activated',
        outcome: 'success',
        target: { type: 'test_version', id: after.candidate.id },
        entityId: change.entityId,
        ...auditContext,
        details: {
          test: after.testKey,
          version: after.candidate.version,
          supersededVersion: superseded?.version ?? null,
          preparedBy: after.candidate.preparedBy,
          changeRequestId: change.id,
          requestedBy: change.requestedBy,
        },
      });
    },
  };
}

function concurrentChange(change: StoredChange, testKey: string): AppError {
  return new AppError('CONFLICT', {
    detail: `The versions of test ${testKey} changed while change request ${change.id} was being applied. Reload the request and make a new one if the version is still to be activated.`,
  });
}

export function createTestActivationChange(deps: {
  access: AccessControl;
  separationOfDuties: SeparationOfDuties;
}): RegisteredChangeKind {
  return registerChangeKind(testActivation(deps));
}
