// The measured phases of the evidence benchmark. Each runs over every file
// of the corpus in index order, with `parallel` files in flight, and fails
// unless every scan is clean and every confirm ends available.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Actor } from '../../apps/server/src/modules/identity/actor.ts';
import type {
  ClamdScanner,
  ScanVerdict,
} from '../../apps/server/src/platform/scanning/clamd-client.ts';
import type { ObjectStorage } from '../../apps/server/src/platform/storage/object-storage.ts';
import type { CpuSample } from './cpu.ts';
import type { CheckTimes, Platform } from './platform.ts';

/** Durations of the steps of each file, in ms, summed over the files of a phase. */
export interface StepTimes {
  /** storage.head, which opens the object and authenticates its metadata. */
  headMs: number;
  /** From opening the bytes (memory or storage.get) to sending their last byte to clamd. */
  sendMs: number;
  /** From the end of the stream to clamd's verdict. clamd scans only once it has the whole stream. */
  verdictMs: number;
  /** Time in database transactions, measured for confirm only. */
  databaseMs: number;
}

export interface PhaseResult {
  ms: number;
  files: number;
  bytes: number;
  nodeCpuMs: number;
  /** Null when clamd's CPU time could not be read. */
  clamdCpuMs: number | null;
  /** Null for phases that time no steps, and for those with more than one file in flight, whose steps overlap. */
  steps: StepTimes | null;
}

export interface PhaseContext {
  parallel: number;
  signal: AbortSignal;
  sampleCpu: () => CpuSample;
}

function emptySteps(): StepTimes {
  return { headMs: 0, sendMs: 0, verdictMs: 0, databaseMs: 0 };
}

/** Run `task` for indexes 0 to count - 1, starting them in order, at most `parallel` at a time. */
async function runPool(
  count: number,
  context: PhaseContext,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      context.signal.throwIfAborted();
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(context.parallel, count) }, worker));
}

/**
 * Time `work` and the CPU it and clamd used. `work` adds the steps of each
 * file to the StepTimes it gets, when `timesSteps` is set and one file is
 * in flight at a time.
 */
async function measure(
  context: PhaseContext,
  files: number,
  bytes: number,
  timesSteps: boolean,
  work: (steps: StepTimes) => Promise<void>,
): Promise<PhaseResult> {
  const steps = emptySteps();
  const cpuBefore = context.sampleCpu();
  const started = performance.now();
  await work(steps);
  const ms = performance.now() - started;
  const cpuAfter = context.sampleCpu();
  return {
    ms,
    files,
    bytes,
    nodeCpuMs: cpuAfter.nodeMs - cpuBefore.nodeMs,
    clamdCpuMs:
      cpuAfter.clamdMs === null || cpuBefore.clamdMs === null
        ? null
        : cpuAfter.clamdMs - cpuBefore.clamdMs,
    steps: timesSteps && context.parallel === 1 ? steps : null,
  };
}

function assertClean(verdict: ScanVerdict, description: string): void {
  if (verdict.kind !== 'clean') {
    throw new Error(`clamd returned ${JSON.stringify(verdict)} for ${description}, expected clean`);
  }
}

/**
 * Scan one file with the scanner's own scan(), adding the send and verdict
 * times to `steps`. `open` returns the bytes and calls `onEnd` once scan
 * has taken the last of them.
 */
async function scanTimed(
  scanner: ClamdScanner,
  open: (onEnd: () => void) => Promise<AsyncIterable<Buffer>>,
  steps: StepTimes,
  description: string,
): Promise<void> {
  const started = performance.now();
  let streamEnded = Number.NaN;
  const source = await open(() => {
    streamEnded = performance.now();
  });
  const verdict = await scanner.scan(source);
  const finished = performance.now();
  assertClean(verdict, description);
  steps.sendMs += streamEnded - started;
  steps.verdictMs += finished - streamEnded;
}

/** Yield `file` as one chunk, which scan cuts into INSTREAM chunks, then call `onEnd`. */
async function* singleChunk(file: Buffer, onEnd: () => void): AsyncGenerator<Buffer> {
  yield file;
  onEnd();
}

/** Baseline: stream each file from memory into clamd's INSTREAM. */
export async function scanFromMemory(
  scanner: ClamdScanner,
  files: readonly Buffer[],
  fileBytes: number,
  context: PhaseContext,
): Promise<PhaseResult> {
  return await measure(context, files.length, files.length * fileBytes, true, (steps) =>
    runPool(files.length, context, async (index) => {
      const file = files[index] as Buffer;
      await scanTimed(
        scanner,
        async (onEnd) => singleChunk(file, onEnd),
        steps,
        `file ${index} from memory`,
      );
    }),
  );
}

/** Baseline: stream each object from storage.get, decrypting, into clamd's INSTREAM. */
export async function scanFromStorage(
  scanner: ClamdScanner,
  storage: ObjectStorage,
  keys: readonly string[],
  fileBytes: number,
  context: PhaseContext,
): Promise<PhaseResult> {
  return await measure(context, keys.length, keys.length * fileBytes, true, (steps) =>
    runPool(keys.length, context, async (index) => {
      const key = keys[index] as string;
      await scanTimed(
        scanner,
        async (onEnd) => {
          // scan iterates the stream itself, as the check does, and 'end'
          // fires when it requests more after the last chunk.
          const body = await storage.get(key);
          body.once('end', onEnd);
          return body as AsyncIterable<Buffer>;
        },
        steps,
        `object ${key}`,
      );
    }),
  );
}

/** Read each object from storage.get to the end without scanning: decryption and storage's own SHA-256. */
export async function readFromStorage(
  storage: ObjectStorage,
  keys: readonly string[],
  fileBytes: number,
  context: PhaseContext,
): Promise<PhaseResult> {
  return await measure(context, keys.length, keys.length * fileBytes, false, async () =>
    runPool(keys.length, context, async (index) => {
      const key = keys[index] as string;
      const body: Readable = await storage.get(key);
      let read = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) read += chunk.length;
      if (read !== fileBytes) {
        throw new Error(`object ${key} has ${read} bytes, expected ${fileBytes}`);
      }
    }),
  );
}

/** Hash every file in memory with SHA-256, as the check does once per confirm. */
export async function hashInMemory(
  files: readonly Buffer[],
  fileBytes: number,
  context: PhaseContext,
): Promise<PhaseResult> {
  return await measure(context, files.length, files.length * fileBytes, false, async () => {
    for (const file of files) {
      context.signal.throwIfAborted();
      createHash('sha256').update(file).digest();
    }
  });
}

/**
 * Confirm each declared and uploaded version through the evidence service.
 * With one file in flight, the probes split each confirm into its steps.
 * The phase's time less those steps is the service's own code between them.
 */
export async function confirmAll(
  platform: Platform,
  preparer: Actor,
  evidenceIds: readonly string[],
  fileBytes: number,
  context: PhaseContext,
): Promise<PhaseResult> {
  return await measure(context, evidenceIds.length, evidenceIds.length * fileBytes, true, (steps) =>
    runPool(evidenceIds.length, context, async (index) => {
      const evidenceId = evidenceIds[index] as string;
      const times: CheckTimes = {
        headMs: 0,
        databaseMs: 0,
        getStartedAt: null,
        streamEndedAt: null,
        verdictAt: null,
      };
      if (context.parallel === 1) platform.probe.current = times;
      const view = await platform.services.evidence.confirm(preparer, evidenceId, undefined);
      platform.probe.current = null;

      const version = view.versions.find((entry) => entry.version === 1);
      if (version?.state !== 'available') {
        throw new Error(
          `confirm left evidence ${evidenceId} ${version?.state ?? 'without version 1'}, expected available (rejection: ${version?.rejectionReason ?? 'none'}; scan error: ${version?.scanError ?? 'none'})`,
        );
      }
      if (context.parallel > 1) return;

      const { getStartedAt, streamEndedAt, verdictAt } = times;
      if (getStartedAt === null || streamEndedAt === null || verdictAt === null) {
        throw new Error(
          `the probes missed a step of confirming evidence ${evidenceId}: ${JSON.stringify(times)}`,
        );
      }
      steps.headMs += times.headMs;
      steps.sendMs += streamEndedAt - getStartedAt;
      steps.verdictMs += verdictAt - streamEndedAt;
      steps.databaseMs += times.databaseMs;
    }),
  );
}
