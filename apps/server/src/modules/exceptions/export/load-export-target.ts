import type { Tx } from '../../../platform/db/database.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import type { AccessControl } from '../../access/access-control.ts';
import type { Actor, RequestContext } from '../../identity/actor.ts';
import { findRunForExport, findTestForExport } from './exceptions-export.repository.ts';
import type { ExportFilter, ExportTarget } from './export-target.ts';

/** One message for missing and out of scope alike, so the response does not show which. */
function notFound(filter: ExportFilter): AppError {
  const subject =
    filter.kind === 'test'
      ? `Test ${JSON.stringify(filter.testKey)} of entity ${JSON.stringify(filter.entityCode)}`
      : `Run ${filter.runId}`;
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `${subject} is not visible to you, or does not exist.`,
  });
}

async function authorizeRead(
  tx: Tx,
  access: AccessControl,
  actor: Actor,
  target: { type: 'test' | 'run'; id: string; entityId: string },
  filter: ExportFilter,
  context: RequestContext | undefined,
): Promise<void> {
  await access.authorize(tx, actor, 'exceptions.read', target, {
    context,
    notFound: () => notFound(filter),
  });
}

/**
 * Load the test or run to export and authorize exceptions.read on it. A
 * target out of scope raises the same 404 as a missing one. A preview run
 * raises 422, because its rows are not exceptions.
 */
export async function loadExportTarget(
  tx: Tx,
  access: AccessControl,
  actor: Actor,
  filter: ExportFilter,
  context: RequestContext | undefined,
): Promise<ExportTarget> {
  if (filter.kind === 'test') {
    const test = await findTestForExport(tx, filter.entityCode, filter.testKey);
    if (test === undefined) throw notFound(filter);

    const scope = { type: 'test' as const, id: test.testId, entityId: test.entityId };
    await authorizeRead(tx, access, actor, scope, filter, context);
    return { kind: 'test', ...test };
  }

  const run = await findRunForExport(tx, filter.runId);
  if (run === undefined) throw notFound(filter);

  const scope = { type: 'run' as const, id: run.runId, entityId: run.entityId };
  await authorizeRead(tx, access, actor, scope, filter, context);

  if (run.preview || run.runNumber === null) {
    throw new AppError('BUSINESS_RULE_VIOLATED', {
      detail: `Run ${run.runId} is a preview or a re-performance, whose rows are not exceptions. Export a numbered run, or read its rows with GET /api/v1/runs/${run.runId}/rows.`,
    });
  }
  return {
    kind: 'run',
    runId: run.runId,
    runNumber: run.runNumber,
    testId: run.testId,
    entityId: run.entityId,
    entityCode: run.entityCode,
    testKey: run.testKey,
  };
}
