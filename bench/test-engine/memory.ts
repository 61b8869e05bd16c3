// Peak memory of one benchmark phase, for this process and its child
// processes, read from Linux's /proc.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const SAMPLE_INTERVAL_MS = 100;

export interface ChildPeak {
  pid: number;
  /** The script a Node.js child runs (such as sandbox-child.ts), else the executable's name. */
  name: string;
  /** The child's VmHWM at the last sample before it exited, in bytes. */
  peakBytes: number;
}

export interface PhaseMemory {
  /** This process's RSS when the phase started, in bytes. */
  startRssBytes: number;
  /** Largest process.memoryUsage.rss() of the samples taken every 100 ms, in bytes. */
  sampledPeakRssBytes: number;
  /**
   * This process's VmHWM at the end of the phase, after it was reset to the
   * current RSS at the start (writing 5 to /proc/self/clear_refs), in bytes.
   * Null where the reset is not allowed, because the mark would then cover
   * earlier phases too.
   */
  highWaterMarkBytes: number | null;
  children: ChildPeak[];
}

function readStatusField(pid: number | 'self', field: 'VmHWM'): string | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return new RegExp(`^${field}:\\s+(.*)$`, 'm').exec(status)?.[1];
  } catch {
    // The child exited between listing and reading.
    return undefined;
  }
}

/** Name a child by its command line, because Node.js 24 names every child MainThread in /proc/<pid>/status. */
function describeChild(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const script = argv.find((argument) => /\.(?:ts|js|mjs)$/.test(argument));
    return path.basename(script ?? argv[0] ?? '?');
  } catch {
    return '?';
  }
}

function kibToBytes(text: string | undefined): number | undefined {
  const match = text === undefined ? null : /^(\d+) kB$/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
}

/** Child pids of every thread of this process (needs CONFIG_PROC_CHILDREN). */
function listChildren(): number[] {
  const pids: number[] = [];
  try {
    for (const task of readdirSync('/proc/self/task')) {
      const text = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
      if (text !== '') pids.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // No /proc or no children files: no child figures, which the report shows as none.
  }
  return pids;
}

function resetHighWaterMark(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Run `work` while sampling memory every 100 ms. A child's VmHWM is a
 * kernel high-water mark, so each sample contains its peak so far, but growth
 * in the last 100 ms before the child exits is missed. Children of children
 * are not followed.
 */
export async function measurePhase<T>(
  work: () => Promise<T>,
): Promise<{ value: T; memory: PhaseMemory }> {
  const startRssBytes = process.memoryUsage.rss();
  const canReset = resetHighWaterMark();
  let sampledPeakRssBytes = startRssBytes;
  const children = new Map<number, ChildPeak>();

  const sample = () => {
    sampledPeakRssBytes = Math.max(sampledPeakRssBytes, process.memoryUsage.rss());
    for (const pid of listChildren()) {
      const peakBytes = kibToBytes(readStatusField(pid, 'VmHWM'));
      if (peakBytes === undefined) continue;
      const known = children.get(pid);
      if (known === undefined) {
        children.set(pid, { pid, name: describeChild(pid), peakBytes });
      } else {
        known.peakBytes = Math.max(known.peakBytes, peakBytes);
      }
    }
  };
  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  try {
    const value = await work();
    sample();
    const highWaterMarkBytes = canReset
      ? (kibToBytes(readStatusField('self', 'VmHWM')) ?? null)
      : null;
    return {
      value,
      memory: {
        startRssBytes,
        sampledPeakRssBytes,
        highWaterMarkBytes,
        children: [...children.values()],
      },
    };
  } finally {
    clearInterval(timer);
  }
}
