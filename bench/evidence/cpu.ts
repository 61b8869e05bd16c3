// CPU time of this process and of the private clamd, read from Linux's
// /proc, so each phase can show which side of the socket did the work.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time in ms (user plus system) of this process and of clamd, whose time is null when unreadable. */
export interface CpuSample {
  nodeMs: number;
  clamdMs: number | null;
}

/** Read clock ticks per second, the unit of /proc/<pid>/stat, or null when getconf fails. */
function clockTicksPerSecond(): number | null {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isSafeInteger(ticks) && ticks > 0 ? ticks : null;
  } catch {
    return null;
  }
}

/** Return the pid of this process's child whose command name is `clamd`, or null when none is found. */
export function findClamdChild(): number | null {
  try {
    for (const task of readdirSync('/proc/self/task')) {
      const children = readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
      for (const pid of children === '' ? [] : children.split(/\s+/).map(Number)) {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'clamd') return pid;
      }
    }
  } catch {
    // No /proc, or a child exited while it was read: report clamd's CPU as unavailable.
  }
  return null;
}

/**
 * Create a sampler of CPU time. clamd's time is utime plus stime of
 * /proc/<pid>/stat, which include its threads that have exited.
 */
export function createCpuSampler(clamdPid: number | null): () => CpuSample {
  const ticks = clockTicksPerSecond();
  const readClamd = (): number | null => {
    if (clamdPid === null || ticks === null) return null;
    try {
      const stat = readFileSync(`/proc/${clamdPid}/stat`, 'utf8');
      // The command name in brackets may contain spaces, so fields are counted after it.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const user = Number(fields[11]);
      const system = Number(fields[12]);
      return ((user + system) / ticks) * 1000;
    } catch {
      return null;
    }
  };
  return () => {
    const usage = process.cpuUsage();
    return { nodeMs: (usage.user + usage.system) / 1000, clamdMs: readClamd() };
  };
}
