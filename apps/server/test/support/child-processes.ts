import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid and state of a process, from /proc/<pid>/stat, or undefined once it is gone. */
export function processStat(pid: number): { ppid: number; state: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces, so split after its closing parenthesis.
  const [state = '', ppid = ''] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(ppid), state };
}

/** Pids of the running children of process `parentPid` whose command line contains `script`. */
export function childProcesses(parentPid: number, script: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (processStat(pid)?.ppid !== parentPid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(script)) pids.push(pid);
    } catch {
      // The process exited between the two reads.
    }
  }
  return pids;
}

/** True once the process has exited: its /proc entry is gone or it is a zombie. */
export function hasExited(pid: number): boolean {
  const stat = processStat(pid);
  return stat === undefined || stat.state === 'Z';
}
