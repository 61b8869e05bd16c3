import type { Logger } from 'pino';
import { inScope } from '../../platform/db/actor-scope.ts';
import type { Db } from '../../platform/db/database.ts';
import { isAppError } from '../../platform/http/app-error.ts';
import { latestFireTime } from '../../platform/scheduling/cron-expression.ts';
import { withActor } from '../access/actor-scope.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { UserActor } from '../identity/actor.ts';
import type { RunRequest, RunsService } from '../runs/runs.service.ts';
import type { InputBindings } from './definition-file.ts';
import {
  databaseNow,
  FireAlreadyClaimedError,
  listScheduledTests,
  type ScheduledFire,
  type ScheduledTest,
  tryClaimScheduledFire,
} from './test-schedules.repository.ts';

/**
 * Why a fire queued no run. OWNER_INACTIVE: the test's owner is suspended
 * or deprovisioned. OWNER_NOT_AUTHORIZED: the test's entity is no longer
 * in the owner's scope, or the owner no longer holds runs.execute there.
 * RUN_REQUEST_REJECTED: the run request failed validation, such as a bound
 * dataset or dataset version that does not exist.
 */
export type ScheduleSkipReason = 'OWNER_INACTIVE' | 'OWNER_NOT_AUTHORIZED' | 'RUN_REQUEST_REJECTED';

/**
 * What one tick did with one due fire. `claimed_elsewhere`: another worker
 * claimed the fire first. `failed`: an unexpected error, logged; the fire
 * stays unclaimed, so the next tick retries it, unless its run was
 * committed before the error.
 */
export type FireOutcome = ScheduledFire &
  (
    | { outcome: 'queued'; runId: string }
    | { outcome: 'skipped'; reason: ScheduleSkipReason }
    | { outcome: 'claimed_elsewhere' }
    | { outcome: 'failed' }
  );

export interface ScheduleTick {
  /** The time the tick evaluated the schedules at. */
  at: Date;
  fires: FireOutcome[];
}

export interface TestScheduler {
  /**
   * Queue a run for each active test version whose schedule fired after
   * the test's last claimed fire (or after the version's activation) and
   * at or before `now`. Only the latest such fire counts, so a test that
   * missed several fires while no tick ran gets one catch-up run. `now`
   * defaults to the database's clock.
   */
  tick(now?: Date): Promise<ScheduleTick>;
}

/** Errors of a rejected run request, as opposed to a failure of the platform. */
const REJECTED_REQUEST_CODES: ReadonlySet<string> = new Set([
  'VALIDATION_FAILED',
  'RESOURCE_NOT_FOUND',
  'BUSINESS_RULE_VIOLATED',
]);

/** Translate a version's bindings into the inputs and field map of a run request. */
function boundInputs(bindings: InputBindings): Pick<RunRequest, 'inputs' | 'fieldMap'> {
  const inputs: RunRequest['inputs'] = {};
  const fieldMap: RunRequest['fieldMap'] = {};
  for (const [name, binding] of Object.entries(bindings)) {
    inputs[name] = { dataset: binding.dataset, version: binding.version };
    for (const [field, column] of Object.entries(binding.fields ?? {})) {
      fieldMap[`${name}.${field}`] = column;
    }
  }
  return { inputs, fieldMap };
}

/** Return the time after which a fire is due: the later of the last claimed fire and the activation. */
function dueAfter(test: ScheduledTest): Date {
  if (test.lastFiredAt === null) return test.activatedAt;
  return new Date(Math.max(test.lastFiredAt.getTime(), test.activatedAt.getTime()));
}

/**
 * Queue runs on the cron schedules of active test versions. A scheduled
 * run acts as the test's owner (test_definitions.owner_id) and goes
 * through RunsService.request in the owner's scope, so it needs what a
 * run requested by the owner needs, runs.execute on the test's entity
 * among it. The fire is claimed in the run's transaction. A fire skipped
 * for a ScheduleSkipReason is claimed together with its
 * run.schedule_skipped event, so it is audited once and not retried.
 */
export function createTestScheduler(deps: {
  db: Db;
  logger: Logger;
  runs: Pick<RunsService, 'request'>;
}): TestScheduler {
  const { db, runs } = deps;
  const logger = deps.logger.child({ component: 'test-scheduler' });

  /** Claim the fire and record why it queued no run. Returns false when another worker claimed it first. */
  const recordSkip = async (
    test: ScheduledTest,
    fire: ScheduledFire,
    owner: UserActor,
    skip: { reason: ScheduleSkipReason; errorCode?: string; detail: string },
  ): Promise<boolean> => {
    const recorded = await inScope(db, null, async (tx) => {
      if (!(await tryClaimScheduledFire(tx, fire))) return false;
      await appendAuditEvent(tx, {
        actor: owner,
        action: 'run.schedule_skipped',
        outcome: skip.reason === 'RUN_REQUEST_REJECTED' ? 'failure' : 'denied',
        reasonCode: skip.reason,
        target: { type: 'test_version', id: fire.versionId },
        entityId: test.entityId,
        details: {
          testId: fire.testId,
          schedule: test.schedule,
          firedAt: fire.firedAt.toISOString(),
          errorCode: skip.errorCode ?? null,
          detail: skip.detail,
        },
      });
      return true;
    });
    if (recorded) {
      logger.warn(
        {
          testId: fire.testId,
          versionId: fire.versionId,
          ownerId: owner.userId,
          firedAt: fire.firedAt,
          reason: skip.reason,
          errorCode: skip.errorCode,
        },
        'scheduled run skipped',
      );
    }
    return recorded;
  };

  /** Request the run of one due fire as the test's owner. */
  const queueFire = async (test: ScheduledTest, fire: ScheduledFire): Promise<FireOutcome> => {
    const owner = await db
      .selectFrom('users')
      .select(['id', 'email', 'status'])
      .where('id', '=', test.ownerId)
      .executeTakeFirstOrThrow();
    const actor: UserActor = {
      type: 'user',
      userId: owner.id,
      email: owner.email,
      channel: 'worker',
    };
    const skipped = async (skip: Parameters<typeof recordSkip>[3]): Promise<FireOutcome> =>
      (await recordSkip(test, fire, actor, skip))
        ? { ...fire, outcome: 'skipped', reason: skip.reason }
        : { ...fire, outcome: 'claimed_elsewhere' };

    if (owner.status !== 'active') {
      return await skipped({
        reason: 'OWNER_INACTIVE',
        detail: `The test's owner ${owner.email} is ${owner.status}.`,
      });
    }

    // This reads in the owner's scope, so a test whose entity left that
    // scope reads as missing here.
    const target = await withActor(db, actor, (tx) =>
      tx
        .selectFrom('test_versions')
        .innerJoin('test_definitions', 'test_definitions.id', 'test_versions.test_id')
        .innerJoin('entities', 'entities.id', 'test_definitions.entity_id')
        .select(['test_definitions.key', 'entities.code as entity_code', 'test_versions.bindings'])
        .where('test_versions.id', '=', fire.versionId)
        .executeTakeFirst(),
    );
    if (target === undefined) {
      return await skipped({
        reason: 'OWNER_NOT_AUTHORIZED',
        detail: `The test's entity is no longer in the scope of its owner ${owner.email}.`,
      });
    }

    try {
      const { runId } = await runs.request(actor, {
        entityCode: target.entity_code,
        test: target.key,
        ...boundInputs(target.bindings as InputBindings),
        parameters: {},
        preview: false,
        via: 'schedule',
        scheduledFire: { versionId: fire.versionId, firedAt: fire.firedAt },
      });
      logger.info(
        { testId: fire.testId, versionId: fire.versionId, firedAt: fire.firedAt, runId },
        'scheduled run queued',
      );
      return { ...fire, outcome: 'queued', runId };
    } catch (error) {
      if (error instanceof FireAlreadyClaimedError)
        return { ...fire, outcome: 'claimed_elsewhere' };
      if (!isAppError(error)) throw error;
      if (error.code === 'FORBIDDEN') {
        return await skipped({
          reason: 'OWNER_NOT_AUTHORIZED',
          errorCode: error.code,
          detail: error.detail,
        });
      }
      if (REJECTED_REQUEST_CODES.has(error.code)) {
        return await skipped({
          reason: 'RUN_REQUEST_REJECTED',
          errorCode: error.code,
          detail: error.detail,
        });
      }
      throw error;
    }
  };

  return {
    async tick(now) {
      const at = now ?? (await databaseNow(db));
      const fires: FireOutcome[] = [];
      for (const test of await listScheduledTests(db)) {
        const context = { testId: test.testId, versionId: test.versionId };
        let firedAt: Date | null;
        try {
          firedAt = latestFireTime(test.schedule, { after: dueAfter(test), until: at });
        } catch (error) {
          logger.error(
            { err: error, ...context, schedule: test.schedule },
            'schedule could not be evaluated; fix it in a new version of the test',
          );
          continue;
        }
        if (firedAt === null) continue;

        const fire = { testId: test.testId, versionId: test.versionId, firedAt };
        try {
          fires.push(await queueFire(test, fire));
        } catch (error) {
          // A failed dispatch commits the run (as failed) with its claim.
          // Any other failure rolls the claim back, so the next tick retries.
          logger.error({ err: error, ...context, firedAt }, 'queuing a scheduled run failed');
          fires.push({ ...fire, outcome: 'failed' });
        }
      }
      return { at, fires };
    },
  };
}
