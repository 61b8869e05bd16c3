import { jobDefinitions } from '../../../jobs.ts';
import type { Actor } from '../../../modules/identity/actor.ts';
import type { RunDetail } from '../../../modules/runs/runs.service.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import { JobQueue } from '../../../platform/jobs/job-queue.ts';
import type { Runtime } from '../../../runtime.ts';
import { type ActingOptions, withActingRuntime } from '../../acting-runtime.ts';
import { type CliIo, CommandFailure, EXIT, printResult } from '../../cli-io.ts';

interface RunOptions extends ActingOptions {
  entity: string;
  input?: string[];
  map?: string[];
  param?: string[];
  preview?: boolean;
  wait?: boolean;
}

function pairs(flag: string, values: readonly string[] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const entry of values ?? []) {
    const separator = entry.indexOf('=');
    if (separator < 1) {
      throw new AppError('VALIDATION_FAILED', {
        detail: `Invalid ${flag} ${JSON.stringify(entry)}: expected NAME=VALUE.`,
      });
    }
    result[entry.slice(0, separator)] = entry.slice(separator + 1);
  }
  return result;
}

function inputBindings(values: readonly string[] | undefined) {
  const bindings: Record<string, { dataset: string; version?: number }> = {};
  for (const [name, target] of Object.entries(pairs('--input', values))) {
    const match = /^(.*?)(?:@(\d{1,9}))?$/.exec(target);
    const dataset = match?.[1] ?? '';
    if (dataset === '') {
      throw new AppError('VALIDATION_FAILED', {
        detail: `Invalid --input ${name}=${target}: expected DATASET[@VERSION].`,
      });
    }
    bindings[name] = match?.[2] ? { dataset, version: Number(match[2]) } : { dataset };
  }
  return bindings;
}

function runLines(run: RunDetail): string[] {
  return [
    `run ${run.runId}  ${run.testKey}${run.runNumber ? ` #${run.runNumber}` : ''}${run.preview ? ' (preview)' : ''}`,
    `  status       ${run.status}${run.errorCode ? ` ${run.errorCode}: ${run.errorMessage ?? ''}` : ''}`,
    ...(run.cancelledBy ? [`  cancelled by ${run.cancelledBy}`] : []),
    `  exceptions   ${run.exceptionCount ?? '-'}`,
    `  result hash  ${run.resultHash ?? '-'}`,
    ...run.inputs.map(
      (input) =>
        `  input        ${input.name} = ${input.datasetName}@${input.version} (${input.rowCount} rows, sha256 ${input.parquetSha256})`,
    ),
    ...(run.summary ? [`  summary      ${JSON.stringify(run.summary)}`] : []),
  ];
}

const TERMINAL = new Set(['succeeded', 'failed', 'timed_out', 'cancelled']);
const POLL_MS = 250;

/**
 * Wait until a queued run ends, printing each status change. This process
 * also works the run queue meanwhile, so the command finishes with or
 * without a server running workers. Whichever worker claims the run first
 * executes it.
 */
async function waitForRun(
  io: CliIo,
  runtime: Runtime,
  actor: Actor,
  runId: string,
): Promise<RunDetail> {
  const jobs = new JobQueue(runtime.target.appUrl, runtime.logger, { listen: true });
  await jobs.start(jobDefinitions(runtime.services), true);
  try {
    let last = '';
    for (;;) {
      const run = await runtime.services.runs.show(actor, runId);
      if (run.status !== last) {
        io.stderr.write(`run ${runId}: ${run.status}\n`);
        last = run.status;
      }
      if (TERMINAL.has(run.status)) return run;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    await jobs.stop(5_000);
  }
}

/**
 * Queue a run of a test or a library template. With --wait, wait for it
 * and print the run id, status, exception count and result hash, and exit 1
 * unless it succeeded. Without --wait, print the queued run id.
 */
export async function runTestsRun(io: CliIo, test: string, options: RunOptions): Promise<number> {
  const request = {
    entityCode: options.entity,
    test,
    inputs: inputBindings(options.input),
    fieldMap: pairs('--map', options.map),
    parameters: pairs('--param', options.param),
    preview: options.preview === true,
    via: 'cli' as const,
  };
  return await withActingRuntime(io, options, 'tests run', async (runtime, actor) => {
    const { runId } = await runtime.services.runs.request(actor, request, {
      correlationId: `cli-${process.pid}`,
    });
    if (options.wait !== true) {
      const queued = await runtime.services.runs.show(actor, runId);
      printResult(io, options.json === true, queued, [
        `Queued run ${runId}. Follow it with "peytonix runs show ${runId}".`,
      ]);
      return EXIT.ok;
    }
    const run = await waitForRun(io, runtime, actor, runId);
    printResult(io, options.json === true, run, runLines(run));
    return run.status === 'succeeded' ? EXIT.ok : EXIT.failed;
  });
}

export async function runTestsList(io: CliIo, options: ActingOptions): Promise<number> {
  return await withActingRuntime(io, options, 'tests list', async (runtime, actor) => {
    const listing = await runtime.services.runs.listTests(actor);
    printResult(io, options.json === true, listing, [
      listing.tests.length === 0 ? 'No tests in your scope yet.' : 'Tests in your scope:',
      ...listing.tests.map(
        (test) =>
          `  ${test.entityCode}/${test.key}  v${test.activeVersion ?? '-'}  ${test.name ?? ''}  (${test.runs} runs)`,
      ),
      '',
      'Library templates (run one by its key):',
      ...listing.templates.map(
        (template) =>
          `  ${template.key}  v${template.version}  ${template.name}  [${template.severity}]`,
      ),
    ]);
    return EXIT.ok;
  });
}

export async function runRunsShow(
  io: CliIo,
  runId: string,
  options: ActingOptions,
): Promise<number> {
  return await withActingRuntime(io, options, 'runs show', async (runtime, actor) => {
    const run = await runtime.services.runs.show(actor, runId);
    printResult(io, options.json === true, run, [...runLines(run), '', run.sql]);
    return EXIT.ok;
  });
}

/** Cancel a queued or running run and print its new status. */
export async function runRunsCancel(
  io: CliIo,
  runId: string,
  options: ActingOptions,
): Promise<number> {
  return await withActingRuntime(io, options, 'runs cancel', async (runtime, actor) => {
    const run = await runtime.services.runs.cancel(actor, runId, {
      correlationId: `cli-${process.pid}`,
    });
    printResult(io, options.json === true, run, [
      `run ${run.runId}: ${run.status}${run.cancelledBy ? ` by ${run.cancelledBy}` : ''}`,
    ]);
    return EXIT.ok;
  });
}

/** Run the same SQL on the same dataset versions again; exit 0 only when the result hash is identical. */
export async function runRunsReperform(
  io: CliIo,
  runId: string,
  options: ActingOptions,
): Promise<number> {
  return await withActingRuntime(io, options, 'runs reperform', async (runtime, actor) => {
    const original = await runtime.services.runs.show(actor, runId);
    if (original.status !== 'succeeded' || original.resultHash === null) {
      throw new CommandFailure(
        'RUN_NOT_SUCCEEDED',
        `Run ${runId} is ${original.status}; only a succeeded run can be re-performed.`,
      );
    }
    const { runId: again } = await runtime.services.runs.reperform(actor, runId, {
      correlationId: `cli-${process.pid}`,
    });
    const repeated = await waitForRun(io, runtime, actor, again);
    const identical = repeated.resultHash === original.resultHash;
    printResult(
      io,
      options.json === true,
      {
        originalRunId: runId,
        runId: again,
        identical,
        originalResultHash: original.resultHash,
        resultHash: repeated.resultHash,
        status: repeated.status,
        errorCode: repeated.errorCode,
        errorMessage: repeated.errorMessage,
      },
      [
        `re-performed run ${runId} as ${again}: ${repeated.status}`,
        `  original hash  ${original.resultHash}`,
        `  repeated hash  ${repeated.resultHash ?? '-'}`,
        ...(repeated.errorCode === null
          ? []
          : [`  error          ${repeated.errorCode}: ${repeated.errorMessage ?? ''}`]),
        identical ? 'Identical.' : 'DIFFERENT: the result does not reproduce.',
      ],
    );
    return identical ? EXIT.ok : EXIT.failed;
  });
}

interface ExceptionsListOptions extends ActingOptions {
  run: string;
}

export async function runExceptionsList(
  io: CliIo,
  options: ExceptionsListOptions,
): Promise<number> {
  return await withActingRuntime(io, options, 'exceptions list', async (runtime, actor) => {
    const listed = await runtime.services.runs.listRunRows(actor, options.run);
    printResult(
      io,
      options.json === true,
      listed,
      listed.rows.length === 0
        ? ['The run flagged no rows.']
        : listed.rows.map(
            (row) => `${row.occurrence ?? 'preview'}  ${JSON.stringify(row.payload)}`,
          ),
    );
    return EXIT.ok;
  });
}
