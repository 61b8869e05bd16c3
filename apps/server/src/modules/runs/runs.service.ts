import type { boundParametersSchema, testListingSchema } from '@peytonix/contracts';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { RunsConfig } from '../../platform/config/config.ts';
import { inScope } from '../../platform/db/actor-scope.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import type { RunStatus } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { ObjectStorage } from '../../platform/storage/object-storage.ts';
import type { AccessControl } from '../access/access-control.ts';
import { withActor } from '../access/actor-scope.ts';
import type { Permission } from '../access/permissions.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { SecurityEvents } from '../audit-trail/security-events.ts';
import { findDatasetByName, findDatasetVersion } from '../datasets/datasets.repository.ts';
import { findEntityByCode } from '../entities/entities.repository.ts';
import { entitiesInSubtreeWith } from '../entities/entity-subtree-filter.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import type { InputBinding, InputBindings } from '../tests/definition-file.ts';
import { findTemplate, LIBRARY_TEMPLATES } from '../tests/library/library.ts';
import type { TestTemplate } from '../tests/library/template.ts';
import {
  findActiveVersion,
  findLatestDraft,
  findTestByKey,
  insertTestDefinition,
  insertTestVersion,
  listTestsOfEntities,
} from '../tests/test-definitions.repository.ts';
import { claimScheduledFire, type ScheduledFire } from '../tests/test-schedules.repository.ts';
import { failLostRuns, type LostRun } from './lost-runs.ts';
import { cancelRun } from './run-cancellation.ts';
import { executeRun, type RunOutcome } from './run-executor.ts';
import { listRunHistory, type RunHistoryItem, type RunHistoryQuery } from './run-history.ts';
import { checkActivePreviews, runLimitsFrom } from './run-limits.ts';
import {
  type BoundInput,
  type DeclaredInput,
  type DeclaredParameter,
  mapFields,
  resolveParameters,
} from './run-plan.ts';

export interface RunRequest {
  entityCode: string;
  /** A test key in the entity, or a library template key (created as a test on first use). */
  test: string;
  /** Input name → dataset name and version (latest when absent). */
  inputs: Record<string, { dataset: string; version?: number | undefined }>;
  /** "input.field" or "field" (when only one input has it) → dataset column. */
  fieldMap: Record<string, string>;
  parameters: Record<string, string>;
  preview: boolean;
  via: 'api' | 'cli' | 'schedule';
  /**
   * The schedule fire this run serves, set only by the test scheduler. The
   * fire is claimed in the run's transaction, so it queues at most one run.
   */
  scheduledFire?: Omit<ScheduledFire, 'testId'> | undefined;
  /**
   * Work done in the run's own transaction once the run is queued, such
   * as linking a retest to its exceptions, so the run and the link commit
   * together. It receives the queued run and its test.
   */
  onQueued?: ((tx: Tx, queued: { runId: string; testId: string }) => Promise<void>) | undefined;
}

export interface RunDetail {
  runId: string;
  testId: string;
  testKey: string;
  entityCode: string;
  testVersion: number;
  runNumber: number | null;
  preview: boolean;
  status: RunStatus;
  requestedBy: string;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  sql: string;
  summarySql: string | null;
  parameters: z.infer<typeof boundParametersSchema>;
  inputs: BoundInput[];
  keyColumns: string[];
  duckdbVersion: string | null;
  inputRowCounts: unknown;
  exceptionCount: number | null;
  resultHash: string | null;
  summary: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  reperformsRunId: string | null;
  /** Email of the user who cancelled the run, when someone did. */
  cancelledBy: string | null;
}

/** The tests in scope and the library, as GET /api/v1/tests returns them. */
export type TestListing = z.infer<typeof testListingSchema>;

export interface RunsService {
  /** The tests in the actor's scope, and the library templates any of them can be created from. */
  /**
   * Tests the actor may read, or only those of `entityCode` and the entities
   * below it, with every library template. An entity outside the actor's
   * scope is RESOURCE_NOT_FOUND.
   */
  listTests(actor: Actor, filter?: { entityCode?: string | undefined }): Promise<TestListing>;
  request(actor: Actor, request: RunRequest, context?: RequestContext): Promise<{ runId: string }>;
  /** Execute a queued run in the scope of the user who requested it. */
  execute(runId: string, requestedBy: string): Promise<RunOutcome | null>;
  /** End the running runs whose worker stopped writing heartbeats; see failLostRuns. */
  failLostRuns(staleSeconds?: number): Promise<LostRun[]>;
  show(actor: Actor, runId: string): Promise<RunDetail>;
  /**
   * Cancel a queued or running run, which any user with runs.execute on its
   * entity may do, and return the run as it is after the cancel. A run that
   * is already cancelled is returned unchanged, and one that has ended
   * otherwise raises 409 CONFLICT.
   */
  cancel(actor: Actor, runId: string, context?: RequestContext): Promise<RunDetail>;
  /** Queue a new run with the same SQL, parameters and dataset versions as `runId`. */
  reperform(actor: Actor, runId: string, context?: RequestContext): Promise<{ runId: string }>;
  /** Runs newest first, in the entities where the actor may read runs. */
  history(
    actor: Actor,
    query: RunHistoryQuery,
  ): Promise<{ items: RunHistoryItem[]; next: string | null }>;
  listRunRows(
    actor: Actor,
    runId: string,
  ): Promise<{
    preview: boolean;
    rows: {
      occurrence: 'new' | 'recurring' | 'reopened' | null;
      exceptionId: string | null;
      payload: unknown;
    }[];
  }>;
}

function notFound(what: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `${what} is not visible to you, or does not exist.`,
  });
}

/**
 * Choose the dataset an input of a run reads. An input named in the
 * request uses only the request's field map. Otherwise the version's own
 * binding applies, with its field map, and the request's mappings for that
 * input replace single fields of it.
 */
function chooseBinding(
  requested: RunRequest['inputs'][string] | undefined,
  bound: InputBinding | undefined,
  requestedFields: Record<string, string>,
): { binding: RunRequest['inputs'][string] | undefined; fieldMap: Record<string, string> } {
  if (requested !== undefined) return { binding: requested, fieldMap: requestedFields };
  if (bound === undefined) return { binding: undefined, fieldMap: requestedFields };
  return {
    binding: { dataset: bound.dataset, version: bound.version },
    fieldMap: { ...bound.fields, ...requestedFields },
  };
}

function splitFieldMap(map: Record<string, string>, inputs: readonly DeclaredInput[]) {
  const byInput: Record<string, Record<string, string>> = {};
  for (const [target, column] of Object.entries(map)) {
    const [first, second] = target.split('.');
    let inputName: string;
    let field: string;
    if (second !== undefined && first !== undefined) {
      if (!inputs.some((input) => input.name === first)) {
        throw new AppError('VALIDATION_FAILED', {
          detail: `--map ${target}: the test has no input ${JSON.stringify(first)}. Its inputs are ${inputs.map((input) => input.name).join(', ')}.`,
        });
      }
      inputName = first;
      field = second;
    } else {
      const owners = inputs.filter((input) =>
        input.fields.some((candidate) => candidate.name === target),
      );
      if (owners.length !== 1 || owners[0] === undefined) {
        throw new AppError('VALIDATION_FAILED', {
          detail:
            owners.length === 0
              ? `No input has a field ${JSON.stringify(target)}.`
              : `Several inputs have a field ${JSON.stringify(target)}; write --map INPUT.${target}=COLUMN.`,
        });
      }
      inputName = owners[0].name;
      field = target;
    }
    byInput[inputName] = { ...byInput[inputName], [field]: column };
  }
  return byInput;
}

function templateVersion(template: TestTemplate) {
  return {
    name: template.name,
    description: template.description,
    severity: template.severity,
    sql: template.sql,
    summarySql: template.summarySql ?? null,
    inputs: template.inputs,
    parameters: template.parameters,
    keyColumns: template.keyColumns,
  };
}

/**
 * Test runs: request, execute, show and re-perform. A request resolves
 * everything a run depends on and stores it on the run: the active test
 * version, each input's dataset version with its fingerprints, the field
 * mappings and the parameter values. So the run and any re-performance read
 * exactly the same things.
 */
export function createRunsService(deps: {
  db: Db;
  logger: Logger;
  securityEvents: SecurityEvents;
  access: AccessControl;
  storage: () => Promise<ObjectStorage>;
  workRoot: string;
  /** Run time limits and the preview cap; the defaults of the configuration when absent. */
  runs?: RunsConfig;
  /** Hand a queued run to the workers; without it, runs wait until `execute` is called. */
  dispatchRun?: (runId: string, requestedBy: string) => Promise<void>;
}): RunsService {
  const { db, access } = deps;
  const limits = runLimitsFrom(deps.runs);

  /**
   * Dispatch after the run's transaction has committed, so a worker never
   * looks for a run it cannot see yet. A failed dispatch fails the run, so
   * nothing stays queued without a job.
   */
  const dispatch = async (runId: string, requestedBy: string) => {
    if (deps.dispatchRun === undefined) return;
    try {
      await deps.dispatchRun(runId, requestedBy);
    } catch (error) {
      deps.logger.error({ err: error, runId }, 'dispatching a run failed');
      await inScope(db, requestedBy, (tx) =>
        tx
          .updateTable('runs')
          .set({
            status: 'failed',
            finished_at: sql`now()`,
            error_code: 'DISPATCH_FAILED',
            error_message: 'The run could not be handed to the workers. Request it again.',
          })
          .where('id', '=', runId)
          .where('status', '=', 'queued')
          .execute(),
      );
      throw new AppError('SERVICE_UNAVAILABLE', {
        detail: `Run ${runId} could not be queued for the workers. Retry shortly.`,
        internal: error,
      });
    }
  };

  /** Find the test, or create it from the library template of that key, with the template as its active version. */
  const resolveTest = async (
    tx: Tx,
    actor: Actor & { type: 'user' },
    entityId: string,
    key: string,
  ) => {
    const existing = await findTestByKey(tx, entityId, key);
    if (existing) return existing;
    const template = findTemplate(key);
    if (template === undefined) {
      throw new AppError('RESOURCE_NOT_FOUND', {
        detail: `No test ${JSON.stringify(key)} exists in this entity, and no library template has that key. List them with "peytonix tests list".`,
      });
    }
    const test = await insertTestDefinition(tx, {
      entityId,
      key,
      templateKey: key,
      ownerId: actor.userId,
    });
    const content = templateVersion(template);
    const version = await insertTestVersion(tx, {
      testId: test.id,
      state: 'active',
      ...content,
      controlReference: null,
      schedule: null,
      createdBy: actor.userId,
      decisionNote: `library template ${template.key} version ${template.version}, shipped with Peytonix`,
    });
    await appendAuditEvent(tx, {
      actor,
      action: 'test_definition.activated',
      outcome: 'success',
      target: { type: 'test_version', id: version.id },
      entityId,
      details: {
        testKey: key,
        version: version.version,
        source: `library template ${template.key}@${template.version}`,
      },
    });
    return test;
  };

  const queueRun = async (
    tx: Tx,
    actor: Actor & { type: 'user' },
    run: {
      testId: string;
      testVersionId: string;
      preview: boolean;
      via: 'api' | 'cli' | 'schedule' | 'reperform';
      reperformsRunId: string | null;
      sql: string;
      summarySql: string | null;
      parameters: unknown;
      inputs: BoundInput[];
      keyColumns: string[];
      entityId: string;
      testKey: string;
    },
    context?: RequestContext,
  ) => {
    if (run.preview) await checkActivePreviews(tx, actor.userId, limits.maxActivePreviewsPerUser);
    let runNumber: number | null = null;
    if (!run.preview) {
      const numbered = await tx
        .updateTable('test_definitions')
        .set((eb) => ({ latest_run_number: eb('latest_run_number', '+', 1) }))
        .where('id', '=', run.testId)
        .returning('latest_run_number')
        .executeTakeFirstOrThrow();
      runNumber = numbered.latest_run_number;
    }
    const inserted = await tx
      .insertInto('runs')
      .values({
        test_id: run.testId,
        test_version_id: run.testVersionId,
        preview: run.preview,
        run_number: runNumber,
        status: 'queued',
        requested_by: actor.userId,
        requested_via: run.via,
        reperforms_run_id: run.reperformsRunId,
        sql_executed: run.sql,
        summary_sql_executed: run.summarySql,
        parameters: JSON.stringify(run.parameters),
        inputs: JSON.stringify(run.inputs),
        key_columns: run.keyColumns,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await appendAuditEvent(tx, {
      actor,
      action: 'run.queued',
      outcome: 'success',
      target: { type: 'run', id: inserted.id },
      entityId: run.entityId,
      ...(context ? { context } : {}),
      details: {
        testKey: run.testKey,
        runNumber,
        preview: run.preview,
        via: run.via,
        reperforms: run.reperformsRunId,
      },
    });
    return { runId: inserted.id };
  };

  /** Load a run in the actor's scope and authorize `permission` on it; out of scope reads as missing. */
  const loadRun = async (
    tx: Tx,
    actor: Actor,
    runId: string,
    permission: Permission,
    context?: RequestContext,
  ) => {
    const run = await tx
      .selectFrom('runs')
      .innerJoin('test_definitions', 'test_definitions.id', 'runs.test_id')
      .innerJoin('entities', 'entities.id', 'test_definitions.entity_id')
      .innerJoin('test_versions', 'test_versions.id', 'runs.test_version_id')
      .innerJoin('users', 'users.id', 'runs.requested_by')
      .leftJoin('users as cancellers', 'cancellers.id', 'runs.cancelled_by')
      .selectAll('runs')
      .select([
        'test_definitions.key as test_key',
        'test_definitions.entity_id',
        'entities.code as entity_code',
        'test_versions.version as test_version',
        'users.email as requested_by_email',
        'cancellers.email as cancelled_by_email',
      ])
      .where('runs.id', '=', runId)
      .executeTakeFirst();
    if (run === undefined) throw notFound(`Run ${runId}`);
    await access.authorize(
      tx,
      actor,
      permission,
      { type: 'run', id: run.id, entityId: run.entity_id },
      { context, notFound: () => notFound(`Run ${runId}`) },
    );
    return run;
  };

  return {
    async listTests(actor, filter) {
      const rows = await withActor(db, actor, async (tx) =>
        listTestsOfEntities(
          tx,
          await entitiesInSubtreeWith(tx, access, actor, 'tests.read', filter?.entityCode),
        ),
      );
      return {
        tests: rows.map((row) => ({
          id: row.id,
          key: row.key,
          entityCode: row.entity_code,
          templateKey: row.template_key,
          activeVersion: row.active_version,
          name: row.name,
          severity: row.severity,
          runs: row.latest_run_number,
          // Null without an active version; the JSON is what the version was validated as.
          inputs: (row.inputs ?? null) as TestListing['tests'][number]['inputs'],
          parameters: (row.parameters ?? null) as TestListing['tests'][number]['parameters'],
        })),
        templates: LIBRARY_TEMPLATES.map((template) => ({
          key: template.key,
          version: template.version,
          name: template.name,
          category: template.category,
          severity: template.severity,
          inputs: template.inputs,
          parameters: template.parameters,
        })),
      };
    },

    async request(actor, request, context) {
      if (actor.type !== 'user')
        throw new AppError('FORBIDDEN', { detail: 'Only users run tests.' });
      const queued = await withActor(db, actor, async (tx) => {
        const entity = await findEntityByCode(tx, request.entityCode);
        const entityMissing = () => notFound(`Entity ${JSON.stringify(request.entityCode)}`);
        if (!entity) throw entityMissing();
        await access.authorize(
          tx,
          actor,
          'runs.execute',
          { type: 'entity', id: entity.id, entityId: entity.id },
          { context, notFound: entityMissing },
        );

        const test = await resolveTest(tx, actor, entity.id, request.test);
        // A preview runs the newest draft when there is one, so a preparer
        // can try a version before it is approved. A real run never does.
        const draft = request.preview ? await findLatestDraft(tx, test.id) : undefined;
        const version = draft ?? (await findActiveVersion(tx, test.id));
        if (version === undefined) {
          throw new AppError('BUSINESS_RULE_VIOLATED', {
            detail: `Test ${test.key} has no active version yet. Run its draft with --preview, or get a version approved.`,
          });
        }
        if (request.scheduledFire !== undefined) {
          await claimScheduledFire(tx, { testId: test.id, ...request.scheduledFire });
        }
        const declaredInputs = version.inputs as DeclaredInput[];
        const fieldMaps = splitFieldMap(request.fieldMap, declaredInputs);
        for (const name of Object.keys(request.inputs)) {
          if (!declaredInputs.some((input) => input.name === name)) {
            throw new AppError('VALIDATION_FAILED', {
              detail: `Test ${test.key} has no input ${JSON.stringify(name)}. Its inputs are ${declaredInputs.map((input) => input.name).join(', ')}.`,
            });
          }
        }

        const versionBindings = (version.bindings ?? {}) as InputBindings;
        const inputs: BoundInput[] = [];
        for (const declared of declaredInputs) {
          const { binding, fieldMap } = chooseBinding(
            request.inputs[declared.name],
            versionBindings[declared.name],
            fieldMaps[declared.name] ?? {},
          );
          if (binding === undefined) {
            throw new AppError('VALIDATION_FAILED', {
              detail: `Test ${test.key} needs input ${declared.name}, and its version ${version.version} binds no dataset to it: bind a dataset to input ${declared.name} (--input ${declared.name}=DATASET[@VERSION] in the CLI).`,
            });
          }
          const dataset = await findDatasetByName(tx, entity.id, binding.dataset);
          const datasetVersion = dataset
            ? await findDatasetVersion(tx, dataset.id, binding.version ?? 'latest')
            : undefined;
          if (!dataset || !datasetVersion) {
            throw new AppError('RESOURCE_NOT_FOUND', {
              detail: `Entity ${entity.code} has no dataset ${JSON.stringify(binding.dataset)}${binding.version ? ` with version ${binding.version}` : ''}. See "peytonix datasets list".`,
            });
          }
          inputs.push({
            name: declared.name,
            datasetId: dataset.id,
            datasetName: dataset.name,
            datasetVersionId: datasetVersion.id,
            version: datasetVersion.version,
            rawSha256: datasetVersion.raw_sha256.toString('hex'),
            parquetSha256: datasetVersion.parquet_sha256.toString('hex'),
            parquetObjectKey: datasetVersion.parquet_object_key,
            rowCount: Number(datasetVersion.row_count),
            fields: mapFields(declared, datasetVersion.columns, fieldMap),
          });
        }
        const parameters = resolveParameters(
          version.parameters as DeclaredParameter[],
          request.parameters,
        );

        const queuedRun = await queueRun(
          tx,
          actor,
          {
            testId: test.id,
            testVersionId: version.id,
            preview: request.preview,
            via: request.via,
            reperformsRunId: null,
            sql: version.sql,
            summarySql: version.summary_sql,
            parameters,
            inputs,
            keyColumns: version.key_columns,
            entityId: entity.id,
            testKey: test.key,
          },
          context,
        );
        await request.onQueued?.(tx, { runId: queuedRun.runId, testId: test.id });
        return queuedRun;
      });
      await dispatch(queued.runId, actor.userId);
      return queued;
    },

    failLostRuns: (staleSeconds) => failLostRuns(db, deps.logger, staleSeconds),

    execute: (runId, requestedBy) =>
      executeRun(
        { db, logger: deps.logger, storage: deps.storage, workRoot: deps.workRoot, limits },
        runId,
        requestedBy,
      ),

    show,

    async cancel(actor, runId, context) {
      if (actor.type !== 'user')
        throw new AppError('FORBIDDEN', { detail: 'Only users cancel runs.' });
      await withActor(db, actor, async (tx) => {
        const run = await loadRun(tx, actor, runId, 'runs.execute', context);
        await cancelRun(tx, actor, run, context);
      });
      return await show(actor, runId);
    },

    async reperform(actor, runId, context) {
      if (actor.type !== 'user')
        throw new AppError('FORBIDDEN', { detail: 'Only users re-perform runs.' });
      const queued = await withActor(db, actor, async (tx) => {
        const run = await loadRun(tx, actor, runId, 'runs.execute', context);
        return await queueRun(
          tx,
          actor,
          {
            testId: run.test_id,
            testVersionId: run.test_version_id,
            // A re-performance must not move exceptions: it is kept apart like a preview.
            preview: true,
            via: 'reperform',
            reperformsRunId: run.id,
            sql: run.sql_executed,
            summarySql: run.summary_sql_executed,
            parameters: run.parameters,
            inputs: run.inputs as BoundInput[],
            keyColumns: run.key_columns,
            entityId: run.entity_id,
            testKey: run.test_key,
          },
          context,
        );
      });
      await dispatch(queued.runId, actor.userId);
      return queued;
    },

    history: (actor, query) => listRunHistory(db, deps.access, actor, query),

    async listRunRows(actor, runId) {
      return await withActor(db, actor, (tx) => listRows(tx, actor, runId));
    },
  };

  async function listRows(tx: Tx, actor: Actor, runId: string) {
    const run = await loadRun(tx, actor, runId, 'runs.read');
    if (run.preview) {
      const rows = await tx
        .selectFrom('preview_rows')
        .select(['payload'])
        .where('run_id', '=', runId)
        .orderBy('row_number')
        .execute();
      return {
        preview: true,
        rows: rows.map((row) => ({ occurrence: null, exceptionId: null, payload: row.payload })),
      };
    }
    const rows = await tx
      .selectFrom('run_exceptions')
      .select(['exception_id', 'occurrence', 'payload'])
      .where('run_id', '=', runId)
      .orderBy(sql`payload::text`)
      .execute();
    return {
      preview: false,
      rows: rows.map((row) => ({
        occurrence: row.occurrence,
        exceptionId: row.exception_id,
        payload: row.payload,
      })),
    };
  }

  async function show(actor: Actor, runId: string): Promise<RunDetail> {
    const run = await withActor(db, actor, (tx) => loadRun(tx, actor, runId, 'runs.read'));
    return {
      runId: run.id,
      testId: run.test_id,
      testKey: run.test_key,
      entityCode: run.entity_code,
      testVersion: run.test_version,
      runNumber: run.run_number,
      preview: run.preview,
      status: run.status,
      requestedBy: run.requested_by_email,
      requestedAt: new Date(run.requested_at).toISOString(),
      startedAt: run.started_at ? new Date(run.started_at).toISOString() : null,
      finishedAt: run.finished_at ? new Date(run.finished_at).toISOString() : null,
      sql: run.sql_executed,
      summarySql: run.summary_sql_executed,
      // A run stores the list that resolveParameters built, and a re-performance copies it.
      parameters: run.parameters as z.infer<typeof boundParametersSchema>,
      inputs: run.inputs as BoundInput[],
      keyColumns: run.key_columns,
      duckdbVersion: run.duckdb_version,
      inputRowCounts: run.input_row_counts,
      exceptionCount: run.exception_count === null ? null : Number(run.exception_count),
      resultHash: run.result_hash?.toString('hex') ?? null,
      summary: run.summary,
      errorCode: run.error_code,
      errorMessage: run.error_message,
      reperformsRunId: run.reperforms_run_id,
      cancelledBy: run.cancelled_by_email,
    };
  }
}
