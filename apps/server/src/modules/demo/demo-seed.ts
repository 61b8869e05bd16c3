import path from 'node:path';
import { jobDefinitions } from '../../jobs.ts';
import type { Db } from '../../platform/db/database.ts';
import { JobQueue } from '../../platform/jobs/job-queue.ts';
import type { Runtime } from '../../runtime.ts';
import { withActor } from '../access/actor-scope.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import type { RunDetail } from '../runs/runs.service.ts';
import { type EntityOutcome, ensureDemoAccounts, type UserOutcome } from './demo-accounts.ts';
import {
  DEMO_DATASETS,
  DEMO_ENGAGEMENT,
  DEMO_PREPARER_EMAIL,
  DEMO_RUNS,
  type DemoRun,
} from './demo-plan.ts';
import {
  type ExpectationSource,
  type SyntheticData,
  writeSyntheticData,
} from './synthetic-data.ts';

const TERMINAL_STATUSES = new Set(['succeeded', 'failed', 'timed_out', 'cancelled']);
const POLL_MS = 250;
/** How long a run may stay in one status before the seed gives up waiting for it. */
const RUN_STALL_LIMIT_MS = 10 * 60 * 1000;

export interface DatasetOutcome {
  name: string;
  fileName: string;
  version: number;
  rowCount: number;
  imported: boolean;
  /** False when an existing dataset's latest version has other bytes than the generated file. */
  sameContent: boolean;
}

export interface RunOutcome {
  template: string;
  ran: boolean;
  runId: string;
  runNumber: number | null;
  status: string;
  exceptionCount: number | null;
  expectedCount: number;
  expectedSource: ExpectationSource;
  resultHash: string | null;
  matches: boolean;
}

export interface DemoSeedReport {
  /** Always true: everything the demo creates is labelled as synthetic data. */
  synthetic: true;
  /** False when the run found everything in place and created nothing. */
  changed: boolean;
  signInUrl: string;
  mfaRequired: boolean;
  dataDirectory: string;
  filesWritten: string[];
  entities: EntityOutcome[];
  users: UserOutcome[];
  preparer: string;
  datasets: DatasetOutcome[];
  runs: RunOutcome[];
  /** Templates whose run did not succeed or flagged another number of exceptions than expected. */
  mismatches: string[];
}

export interface DemoSeedOptions {
  runtime: Runtime;
  /** Directory that receives the synthetic CSV files. */
  dataDirectory: string;
  signInUrl: string;
  mfaRequired: boolean;
  context: RequestContext;
  /** Receives one line per step for standard error. No line contains a password. */
  progress: (line: string) => void;
}

async function importDatasets(
  options: DemoSeedOptions,
  preparer: Actor,
  data: SyntheticData,
): Promise<DatasetOutcome[]> {
  const { services } = options.runtime;
  const existing = new Set(
    (await services.datasets.listInScope(preparer))
      .filter((dataset) => dataset.entityCode.toLowerCase() === DEMO_ENGAGEMENT.code.toLowerCase())
      .map((dataset) => dataset.name.toLowerCase()),
  );
  const outcomes: DatasetOutcome[] = [];
  for (const file of data.files) {
    const { name, description } = DEMO_DATASETS[file.key];
    if (existing.has(name.toLowerCase())) {
      const dataset = await services.datasets.show(preparer, DEMO_ENGAGEMENT.code, name);
      const latest = dataset.versions[0];
      outcomes.push({
        name,
        fileName: file.fileName,
        version: latest?.version ?? 0,
        rowCount: latest?.rowCount ?? 0,
        imported: false,
        sameContent: latest?.sha256 === file.sha256,
      });
      continue;
    }
    options.progress(`importing ${file.fileName} as "${name}"`);
    const version = await services.datasets.importFile(
      preparer,
      {
        entityCode: DEMO_ENGAGEMENT.code,
        datasetName: name,
        description,
        filePath: path.join(options.dataDirectory, file.fileName),
        fileName: file.fileName,
        options: {},
      },
      options.context,
    );
    outcomes.push({
      name,
      fileName: file.fileName,
      version: version.version,
      rowCount: version.rowCount,
      imported: true,
      sameContent: version.sha256 === file.sha256,
    });
  }
  return outcomes;
}

/** Find the latest succeeded run of a test in the entity, which a second seed reports instead of running the test again. */
async function findSucceededRun(db: Db, preparer: Actor, entityId: string, testKey: string) {
  return await withActor(db, preparer, (tx) =>
    tx
      .selectFrom('runs')
      .innerJoin('test_definitions', 'test_definitions.id', 'runs.test_id')
      .select('runs.id')
      .where('test_definitions.entity_id', '=', entityId)
      .where('test_definitions.key', '=', testKey)
      .where('runs.preview', '=', false)
      .where('runs.status', '=', 'succeeded')
      // The seed's own first run, whose counts later runs by users do not change.
      .orderBy('runs.run_number', 'asc')
      .limit(1)
      .executeTakeFirst(),
  );
}

function runRequest(run: DemoRun) {
  const inputs: Record<string, { dataset: string }> = {};
  for (const [input, fileKey] of Object.entries(run.inputs)) {
    inputs[input] = { dataset: DEMO_DATASETS[fileKey].name };
  }
  return {
    entityCode: DEMO_ENGAGEMENT.code,
    test: run.template,
    inputs,
    fieldMap: run.fieldMap,
    parameters: run.parameters,
    preview: false,
    via: 'cli' as const,
  };
}

/**
 * Wait until every queued run ends. This process works the run queue
 * meanwhile, like `tests run --wait`, so the seed finishes with or without
 * a server. Whichever worker claims a run first executes it.
 */
async function waitForRuns(
  options: DemoSeedOptions,
  actor: Actor,
  queued: readonly { template: string; runId: string }[],
): Promise<void> {
  const { runtime } = options;
  const jobs = new JobQueue(runtime.target.appUrl, runtime.logger, { listen: true });
  await jobs.start(jobDefinitions(runtime.services), true);
  try {
    for (const { template, runId } of queued) {
      let status = '';
      let changedAt = Date.now();
      for (;;) {
        const run = await runtime.services.runs.show(actor, runId);
        if (run.status !== status) {
          status = run.status;
          changedAt = Date.now();
          options.progress(`run ${runId} ${template}: ${status}`);
        }
        if (TERMINAL_STATUSES.has(status)) break;
        if (Date.now() - changedAt > RUN_STALL_LIMIT_MS) {
          throw new Error(
            `Run ${runId} of ${template} stayed ${status} for ${RUN_STALL_LIMIT_MS / 60_000} minutes. Follow it with "peytonix runs show ${runId}", then run the seed again.`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    }
  } finally {
    await jobs.stop(5_000);
  }
}

function toRunOutcome(run: RunDetail, ran: boolean, data: SyntheticData): RunOutcome {
  const expected = data.expected[run.testKey] ?? { count: 0, source: 'planted' as const };
  return {
    template: run.testKey,
    ran,
    runId: run.runId,
    runNumber: run.runNumber,
    status: run.status,
    exceptionCount: run.exceptionCount,
    expectedCount: expected.count,
    expectedSource: expected.source,
    resultHash: run.resultHash,
    matches: run.status === 'succeeded' && run.exceptionCount === expected.count,
  };
}

/** Run every library template that has no succeeded run in the demo engagement yet. */
async function runLibraryTests(
  options: DemoSeedOptions,
  preparer: Actor,
  engagementId: string,
  data: SyntheticData,
): Promise<RunOutcome[]> {
  const { services, database } = options.runtime;
  const runIds = new Map<string, { runId: string; ran: boolean }>();
  const queued: { template: string; runId: string }[] = [];
  for (const run of DEMO_RUNS) {
    const existing = await findSucceededRun(database.db, preparer, engagementId, run.template);
    if (existing !== undefined) {
      runIds.set(run.template, { runId: existing.id, ran: false });
      continue;
    }
    const { runId } = await services.runs.request(preparer, runRequest(run), options.context);
    runIds.set(run.template, { runId, ran: true });
    queued.push({ template: run.template, runId });
  }
  if (queued.length > 0) await waitForRuns(options, preparer, queued);

  const outcomes: RunOutcome[] = [];
  for (const run of DEMO_RUNS) {
    const entry = runIds.get(run.template);
    if (entry === undefined) continue;
    outcomes.push(toRunOutcome(await services.runs.show(preparer, entry.runId), entry.ran, data));
  }
  return outcomes;
}

/**
 * Create or complete the demo workspace: write the synthetic files, make
 * sure the entities and demo users exist, import each file as a dataset
 * and run every library template on them, as the demo preparer. Whatever
 * already exists is kept and reported, so a second run changes nothing.
 */
export async function seedDemoWorkspace(options: DemoSeedOptions): Promise<DemoSeedReport> {
  const { runtime } = options;
  const { data, written } = await writeSyntheticData(options.dataDirectory);
  if (written.length > 0) {
    options.progress(`wrote ${written.length} synthetic files to ${options.dataDirectory}`);
  }

  const accounts = await ensureDemoAccounts(runtime.services, runtime.database.db, options.context);
  const preparer = await runtime.services.identity.resolveCliActor(DEMO_PREPARER_EMAIL);
  const datasets = await importDatasets(options, preparer, data);
  const runs = await runLibraryTests(options, preparer, accounts.engagement.id, data);

  const entities = [accounts.organization, accounts.businessUnit, accounts.engagement];
  const changed =
    written.length > 0 ||
    entities.some((entity) => entity.created) ||
    accounts.users.some((user) => user.created || user.grantCreated || user.password !== null) ||
    datasets.some((dataset) => dataset.imported) ||
    runs.some((run) => run.ran);
  return {
    synthetic: true,
    changed,
    signInUrl: options.signInUrl,
    mfaRequired: options.mfaRequired,
    dataDirectory: options.dataDirectory,
    filesWritten: written,
    entities,
    users: accounts.users,
    preparer: DEMO_PREPARER_EMAIL,
    datasets,
    runs,
    mismatches: runs.filter((run) => !run.matches).map((run) => run.template),
  };
}
