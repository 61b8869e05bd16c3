import type { Db, Tx } from '../../../platform/db/database.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import type { AccessControl } from '../../access/access-control.ts';
import { withActor } from '../../access/actor-scope.ts';
import { loadAuthorizedEntity } from '../../entities/entities.service.ts';
import type { Actor, RequestContext } from '../../identity/actor.ts';
import {
  countExceptionGroups,
  countNotClosedByAge,
  currentDate,
  findTestInEntity,
  listTrendRuns,
} from './exception-summaries.repository.ts';
import {
  type ExceptionAgeing,
  type ExceptionCounts,
  type ExceptionTrend,
  TREND_RUNS_DEFAULT,
  TREND_RUNS_MAX,
} from './exception-summaries.schemas.ts';
import { toExceptionAgeing, toExceptionCounts, toExceptionTrend } from './summary-views.ts';

export interface TrendRequest {
  entityCode: string;
  testKey: string;
  /** Number of the latest succeeded real runs to return, TREND_RUNS_DEFAULT when absent. */
  runs?: number | undefined;
}

/**
 * Read-only summaries of exceptions for dashboards. Each method needs
 * dashboards.read on the entity it names: an entity outside the caller's
 * scope reads as missing (404), and one in scope without the permission is
 * 403.
 */
export interface ExceptionSummariesService {
  /** Count the exceptions of the entity's subtree by status, severity, entity and test. */
  counts(actor: Actor, entityCode: string, context?: RequestContext): Promise<ExceptionCounts>;
  /** Count the subtree's exceptions that are not closed by age bucket and severity. */
  ageing(actor: Actor, entityCode: string, context?: RequestContext): Promise<ExceptionAgeing>;
  /** Count what each of a test's latest succeeded real runs flagged and closed, oldest first. */
  trend(actor: Actor, request: TrendRequest, context?: RequestContext): Promise<ExceptionTrend>;
}

/** Build the not-found error for a test. A missing test and one outside the actor's scope get the same error. */
function testNotVisible(entityCode: string, key: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No test ${JSON.stringify(key)} in entity ${entityCode} is visible to you. List tests with "peytonix tests list" or GET /api/v1/tests.`,
  });
}

function checkRunCount(runs: number): void {
  if (Number.isInteger(runs) && runs >= 1 && runs <= TREND_RUNS_MAX) return;

  throw new AppError('VALIDATION_FAILED', {
    detail: `The number of runs must be a whole number from 1 to ${TREND_RUNS_MAX}, not ${runs}. Ask for fewer runs, or leave it out for the latest ${TREND_RUNS_DEFAULT}.`,
  });
}

export function createExceptionSummariesService(deps: {
  db: Db;
  access: AccessControl;
}): ExceptionSummariesService {
  const { db, access } = deps;

  const loadEntity = async (
    tx: Tx,
    actor: Actor,
    entityCode: string,
    context: RequestContext | undefined,
  ) => {
    const entity = await loadAuthorizedEntity(tx, access, {
      actor,
      entityCode,
      permission: 'dashboards.read',
      context,
    });
    return { id: entity.id, code: entity.code, name: entity.name };
  };

  return {
    async counts(actor, entityCode, context) {
      return await withActor(db, actor, async (tx) => {
        const entity = await loadEntity(tx, actor, entityCode, context);

        const today = await currentDate(tx);
        const rows = await countExceptionGroups(tx, entity.id);
        return toExceptionCounts(entity, today, rows);
      });
    },

    async ageing(actor, entityCode, context) {
      return await withActor(db, actor, async (tx) => {
        const entity = await loadEntity(tx, actor, entityCode, context);

        const { asOf, groups } = await countNotClosedByAge(tx, entity.id);
        return toExceptionAgeing(entity, asOf, groups);
      });
    },

    async trend(actor, request, context) {
      const runs = request.runs ?? TREND_RUNS_DEFAULT;
      checkRunCount(runs);

      return await withActor(db, actor, async (tx) => {
        const entity = await loadEntity(tx, actor, request.entityCode, context);

        const test = await findTestInEntity(tx, entity.id, request.testKey);
        const notFound = () => testNotVisible(entity.code, request.testKey);
        if (test === undefined) throw notFound();
        await access.authorize(
          tx,
          actor,
          'dashboards.read',
          { type: 'test', id: test.id, entityId: test.entity_id },
          { context, notFound },
        );

        const rows = await listTrendRuns(tx, test.id, runs);
        return toExceptionTrend(entity, { id: test.id, key: test.key }, rows);
      });
    },
  };
}
