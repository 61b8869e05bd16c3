import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';

/** Interval between two reads of the child's resident memory, in ms. */
export const MEMORY_POLL_MS = 50;

/** Whether /proc/<pid>/status exists, so the parent can read the child's resident memory. */
const POLL_SUPPORTED = process.platform === 'linux';

/** Read the resident memory of a process from /proc/<pid>/status, in KiB. */
async function readResidentKib(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Poller of a process's resident memory that calls `onExceeded` once, with
 * the resident size in MiB, when it first exceeds the limit. `name` labels
 * the log lines, such as "sandbox" for "sandbox process" and `sandboxPid`.
 */
export class ResidentMemoryWatch {
  /** Highest resident memory seen, in KiB. */
  peakKib = 0;
  readonly pid: number;
  readonly limitMb: number;
  readonly onExceeded: (rssMb: number) => void;
  readonly logger: Logger | undefined;
  readonly name: string;
  #timer: NodeJS.Timeout | undefined;
  #reading = false;
  #stopped = false;
  #warned = false;

  constructor(
    pid: number,
    limitMb: number,
    onExceeded: (rssMb: number) => void,
    logger: Logger | undefined,
    name: string,
  ) {
    this.pid = pid;
    this.limitMb = limitMb;
    this.onExceeded = onExceeded;
    this.logger = logger;
    this.name = name;
    // NOTE: only Linux has /proc/<pid>/status. Elsewhere each child logs that
    // its memory limit is not enforced, and only DuckDB's memory_limit applies.
    if (!POLL_SUPPORTED) {
      logger?.warn(
        { platform: process.platform, processMemoryMb: limitMb },
        `${name} process memory limit is not enforced on this platform`,
      );
      return;
    }
    this.#timer = setInterval(() => void this.#check(), MEMORY_POLL_MS);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  async #check(): Promise<void> {
    if (this.#reading || this.#stopped) return;
    this.#reading = true;
    try {
      const rssKib = await readResidentKib(this.pid);
      if (rssKib === undefined || this.#stopped) return;
      this.peakKib = Math.max(this.peakKib, rssKib);
      if (rssKib > this.limitMb * 1024) {
        this.stop();
        this.onExceeded(Math.round(rssKib / 1024));
      }
    } catch (error) {
      // ENOENT, or ESRCH while the kernel tears the process down: it has
      // exited, and its close event follows.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ESRCH' && !this.#warned) {
        this.#warned = true;
        this.logger?.warn(
          { err: error, [`${this.name}Pid`]: this.pid },
          `reading the ${this.name} process memory failed; its memory limit is not enforced`,
        );
      }
    } finally {
      this.#reading = false;
    }
  }
}
