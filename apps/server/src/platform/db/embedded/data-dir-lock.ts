import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Contents of `<data dir>/peytonix.lock`. The file is created atomically
 * with mode 0600: only the process that created it writes it, and only its
 * OS user can read the embedded cluster's port from it.
 */
export interface LockRecord {
  pid: number;
  command: string;
  startedAt: string;
  /** Port of the embedded PostgreSQL, once it accepts connections. */
  port: number | null;
}

export type LockResult =
  | { acquired: true; lock: DataDirLock }
  | { acquired: false; holder: LockRecord };

export const LOCK_FILE_NAME = 'peytonix.lock';

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLockRecord(dataDir: string): LockRecord | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dataDir, LOCK_FILE_NAME), 'utf8')) as LockRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** The lock this process holds on a data directory. */
export class DataDirLock {
  readonly dataDir: string;
  readonly filePath: string;
  private record: LockRecord;

  constructor(dataDir: string, record: LockRecord) {
    this.dataDir = dataDir;
    this.filePath = path.join(dataDir, LOCK_FILE_NAME);
    this.record = record;
  }

  /** Publish the embedded cluster's port for other commands on this directory. */
  publishPort(port: number) {
    this.record = { ...this.record, port };
    const temporary = `${this.filePath}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.record), { mode: 0o600 });
    renameSync(temporary, this.filePath);
  }

  /** Remove the lock file if it is still this process's. */
  release() {
    const current = readLockRecord(this.dataDir);
    if (current?.pid !== this.record.pid) return;
    try {
      unlinkSync(this.filePath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/**
 * Take the data directory's lock, or report the live process that has it.
 * A lock left by a dead process is moved aside and taken over. The rename is
 * atomic, so two processes racing for a stale lock cannot both win.
 */
export function acquireDataDirLock(dataDir: string, command: string): LockResult {
  // 0711: the postgres OS user may traverse to its cluster but not list the lock
  // or credentials, which are 0600 in any case.
  mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  const filePath = path.join(dataDir, LOCK_FILE_NAME);
  const record: LockRecord = {
    pid: process.pid,
    command,
    startedAt: new Date().toISOString(),
    port: null,
  };

  for (let attempt = 0; attempt < 5; attempt += 1) {
    // link() fails with EEXIST when the lock exists, and a reader never sees
    // a half-written lock because the content is complete before the link.
    const temporary = `${filePath}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(record), { mode: 0o600 });
    try {
      linkSync(temporary, filePath);
      return { acquired: true, lock: new DataDirLock(dataDir, record) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temporary);
    }

    const holder = readLockRecord(dataDir);
    if (holder && isProcessAlive(holder.pid)) {
      return { acquired: false, holder };
    }
    try {
      renameSync(filePath, `${filePath}.stale`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new Error(`could not take ${filePath} after 5 attempts`);
}
