import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createImportWorkDirectory,
  LEFTOVER_IMPORT_AGE_MS,
  removeLeftoverImportDirectories,
} from '../../src/modules/datasets/import-work-directories.ts';
import {
  LEFTOVER_RUN_AGE_MS,
  removeLeftoverRunDirectories,
} from '../../src/modules/runs/run-work-directories.ts';
import { captureLogger } from '../support/test-app.ts';

const SECRET_CONTENT = 'vendor,amount\nSecret Supplier Ltd,999999.99\n';

let workRoot: string;

beforeEach(async () => {
  workRoot = await mkdtemp(path.join(os.tmpdir(), 'peytonix-work-root-'));
});

afterEach(async () => {
  await rm(workRoot, { recursive: true, force: true });
});

/** Create an import work directory with an uploaded file and set every modification time `ageMs` ago. */
async function leftover(name: string, ageMs: number): Promise<string> {
  const directory = path.join(workRoot, name);
  const childDirectory = path.join(directory, 'import-process-abc123');
  await mkdir(childDirectory, { recursive: true });
  await writeFile(path.join(childDirectory, 'source-utf8.txt'), SECRET_CONTENT);
  const time = new Date(Date.now() - ageMs);
  await utimes(path.join(childDirectory, 'source-utf8.txt'), time, time);
  await utimes(childDirectory, time, time);
  await utimes(directory, time, time);
  return directory;
}

describe('removeLeftoverImportDirectories', () => {
  it('removes an old directory and keeps a fresh one', async () => {
    const lines: Record<string, unknown>[] = [];
    const old = await leftover('import-old111', LEFTOVER_IMPORT_AGE_MS + 60_000);
    const fresh = await leftover('import-new222', 60_000);

    const removed = await removeLeftoverImportDirectories(workRoot, captureLogger(lines));

    expect(removed).toBe(1);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    const logged = lines.filter((line) => line.msg === 'removed leftover import work directories');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ parent: workRoot, removed: 1, skippedRecent: 1 });
    expect(JSON.stringify(lines)).not.toContain('Secret Supplier');
  });

  it('keeps an old directory whose entry changed recently', async () => {
    const directory = await leftover('import-busy333', LEFTOVER_IMPORT_AGE_MS + 60_000);
    const now = new Date();
    await utimes(path.join(directory, 'import-process-abc123'), now, now);
    await utimes(directory, new Date(0), new Date(0));

    const removed = await removeLeftoverImportDirectories(workRoot, captureLogger([]));

    expect(removed).toBe(0);
    expect(existsSync(directory)).toBe(true);
  });

  it('leaves other entries of the work root alone', async () => {
    const age = LEFTOVER_IMPORT_AGE_MS + 60_000;
    const runs = await leftover('runs', age);
    const file = path.join(workRoot, 'import-notes.txt');
    await writeFile(file, 'not a directory');
    const time = new Date(Date.now() - age);
    await utimes(file, time, time);

    const removed = await removeLeftoverImportDirectories(workRoot, captureLogger([]));

    expect(removed).toBe(0);
    expect(existsSync(runs)).toBe(true);
    expect(existsSync(file)).toBe(true);
  });

  it('returns 0 without a work root', async () => {
    const lines: Record<string, unknown>[] = [];

    const removed = await removeLeftoverImportDirectories(
      path.join(workRoot, 'missing'),
      captureLogger(lines),
    );

    expect(removed).toBe(0);
    expect(lines).toEqual([]);
  });
});

describe('createImportWorkDirectory', () => {
  it('creates a private directory that cleanup recognizes', async () => {
    const root = path.join(workRoot, 'nested', 'work');

    const directory = await createImportWorkDirectory(root);
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    await utimes(directory, new Date(0), new Date(0));

    expect(path.dirname(directory)).toBe(root);
    expect(await readdir(root)).toEqual([path.basename(directory)]);
    expect(await removeLeftoverImportDirectories(root, captureLogger([]))).toBe(1);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('removeLeftoverRunDirectories', () => {
  it('removes an old run directory and keeps a running one', async () => {
    const old = await leftover(path.join('runs', 'run-old'), LEFTOVER_RUN_AGE_MS + 60_000);
    const running = await leftover(path.join('runs', 'run-now'), 60_000);

    const removed = await removeLeftoverRunDirectories(workRoot, captureLogger([]));

    expect(removed).toBe(1);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(running)).toBe(true);
  });

  it('does nothing when no run ever ran', async () => {
    expect(await removeLeftoverRunDirectories(workRoot, captureLogger([]))).toBe(0);
  });
});
