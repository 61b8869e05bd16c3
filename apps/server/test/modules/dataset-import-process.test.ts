import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ImportError,
  type ImportResult,
  importDataset,
} from '../../src/modules/datasets/import/import-dataset.ts';
import {
  type ChildImportRequest,
  claimParquet,
  importDatasetInChild,
} from '../../src/modules/datasets/import/import-process.ts';
import { childProcesses, hasExited } from '../support/child-processes.ts';
import {
  createFifo,
  type SampleFile,
  writeDeeplyNestedJsonLines,
  writeSampleImports,
  writeSharedStringsWorkbook,
} from '../support/import-fixtures.ts';
import { captureLogger } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';

const CHILD_SCRIPT = 'import-child.ts';
const LIMITS = { memoryMb: 256, threads: 2 };

let root: string;
let samples: SampleFile[];
let workbookPath: string;
let workDir: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'peytonix-import-process-'));
  const sources = path.join(root, 'sources');
  await mkdir(sources);
  samples = await writeSampleImports(sources);
  workbookPath = path.join(sources, 'memos.xlsx');
  await writeSharedStringsWorkbook(workbookPath, 50_000);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

beforeEach(async () => {
  workDir = await mkdtemp(path.join(root, 'work-'));
});

afterEach(() => {
  expect(childProcesses(process.pid, CHILD_SCRIPT)).toEqual([]);
});

function request(sample: SampleFile, overrides: Partial<ChildImportRequest> = {}) {
  return {
    sourcePath: sample.filePath,
    fileName: sample.fileName,
    workDir,
    limits: LIMITS,
    ...overrides,
  };
}

function withoutPath(result: ImportResult): Omit<ImportResult, 'parquetPath'> {
  const { parquetPath: _parquetPath, ...rest } = result;
  return rest;
}

async function captureError(run: Promise<unknown>): Promise<Error> {
  try {
    await run;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected the import to reject');
}

async function captureImportError(run: Promise<unknown>): Promise<ImportError> {
  const error = await captureError(run);
  if (error instanceof ImportError) return error;
  throw error;
}

function waitForImportChild(): Promise<number> {
  let pid: number | undefined;
  return waitFor(() => {
    pid = childProcesses(process.pid, CHILD_SCRIPT)[0];
    return pid !== undefined;
  }, 15_000).then(() => pid as number);
}

describe('importDatasetInChild', () => {
  it('returns the same result as importDataset', async () => {
    for (const sample of samples) {
      const directWorkDir = await mkdtemp(path.join(root, 'direct-'));
      const inChild = await importDatasetInChild(request(sample));
      const direct = await importDataset(request(sample, { workDir: directWorkDir }));

      expect(withoutPath(inChild), sample.fileName).toEqual(withoutPath(direct));
      expect(await readFile(inChild.parquetPath), sample.fileName).toEqual(
        await readFile(direct.parquetPath),
      );
      expect(path.dirname(inChild.parquetPath), sample.fileName).toBe(workDir);
      expect(await readdir(workDir), sample.fileName).toEqual([path.basename(inChild.parquetPath)]);
      await rm(inChild.parquetPath);
    }
  });

  it('resolves a relative source path against the caller', async () => {
    const [csv] = samples;
    if (csv === undefined) throw new Error('no sample CSV');
    const relative = path.relative(process.cwd(), csv.filePath);

    const result = await importDatasetInChild(request(csv, { sourcePath: relative }));

    expect(result.rowCount).toBe(2);
  });

  it('carries every ImportError field', async () => {
    const cases: { fileName: string; content: string; options?: ChildImportRequest['options'] }[] =
      [
        {
          fileName: 'amounts.csv',
          content: 'vendor,amount\nV1,10.00\nV2,ten\n',
          options: { columnTypes: { amount: 'DECIMAL(18,2)' } },
        },
        { fileName: 'dates.csv', content: 'id,posted\n1,03/04/2024\n2,05/06/2024\n' },
        { fileName: 'empty.csv', content: '' },
        { fileName: 'broken.jsonl', content: '{"id": 1}\n{"id": \n' },
        { fileName: 'options.csv', content: 'a\n1\n', options: { currencySymbols: ['1'] } },
      ];
    for (const { fileName, content, options } of cases) {
      const sample = { fileName, filePath: path.join(root, fileName) };
      await writeFile(sample.filePath, content);
      const overrides = options === undefined ? {} : { options };

      const inChild = await captureImportError(importDatasetInChild(request(sample, overrides)));
      const direct = await captureImportError(importDataset(request(sample, overrides)));

      expect(inChild.code, fileName).toBe(direct.code);
      expect(inChild.message, fileName).toBe(direct.message);
      expect(inChild.fileName, fileName).toBe(direct.fileName);
      expect(inChild.line, fileName).toBe(direct.line);
      expect(inChild.column, fileName).toBe(direct.column);
      expect(inChild.value, fileName).toBe(direct.value);
      expect((inChild.cause as Error | undefined)?.message, fileName).toBe(
        (direct.cause as Error | undefined)?.message,
      );
      expect(await readdir(workDir), fileName).toEqual([]);
    }
  });

  it('passes a file-system error through', async () => {
    const missing = { fileName: 'missing.csv', filePath: path.join(root, 'missing.csv') };

    const error = await captureError(importDatasetInChild(request(missing)));

    expect(error).not.toBeInstanceOf(ImportError);
    expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('rejects invalid process limits before starting a child', async () => {
    const [csv] = samples;
    if (csv === undefined) throw new Error('no sample CSV');
    for (const limits of [{ processMemoryMb: 0 }, { timeoutMs: 1.5 }, { timeoutMs: -1 }]) {
      const error = await captureError(importDatasetInChild(request(csv, limits)));
      expect(error, JSON.stringify(limits)).toBeInstanceOf(RangeError);
    }
    expect(await readdir(workDir)).toEqual([]);
  });
});

describe('claimParquet', () => {
  it('rejects a path the child does not own', async () => {
    const [csv] = samples;
    if (csv === undefined) throw new Error('no sample CSV');
    const result = await importDataset(request(csv));
    const childDirectory = await mkdtemp(path.join(workDir, 'import-process-'));
    const link = path.join(childDirectory, 'link.parquet');
    await symlink(result.parquetPath, link);
    const nested = path.join(childDirectory, 'nested');
    await mkdir(nested);
    await writeFile(path.join(nested, 'deep.parquet'), 'PAR1');

    const claims = [
      { ...result, parquetPath: path.join(root, 'sources', 'ledger.parquet') },
      { ...result, parquetPath: link },
      { ...result, parquetPath: path.join(nested, 'deep.parquet') },
      { ...result, parquetPath: path.join(childDirectory, 'missing.parquet') },
    ];
    for (const claim of claims) {
      const error = await captureError(claimParquet(claim, childDirectory, workDir));
      expect(error.message, claim.parquetPath).toContain('is not a regular file in its directory');
    }
    expect((await readdir(workDir)).sort()).toEqual(
      [path.basename(result.parquetPath), path.basename(childDirectory)].sort(),
    );
  });
});

describe('importDatasetInChild on hostile files', () => {
  it('rejects deep JSON nesting and keeps working', async () => {
    const deep = { fileName: 'deep.jsonl', filePath: path.join(root, 'deep.jsonl') };
    await writeDeeplyNestedJsonLines(deep.filePath, 100_000);

    const inChild = await captureImportError(importDatasetInChild(request(deep)));
    const direct = await captureImportError(importDataset(request(deep)));

    expect(inChild.code).toBe('MALFORMED_ROW');
    expect(inChild.line).toBe(2);
    expect(inChild.message).toContain('128 levels');
    expect(direct.code).toBe('MALFORMED_ROW');
    expect(await readdir(workDir)).toEqual([]);
    const [csv] = samples;
    if (csv === undefined) throw new Error('no sample CSV');
    expect((await importDatasetInChild(request(csv))).rowCount).toBe(2);
  });

  it('kills a child over the memory limit', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = captureLogger(lines);
    const workbook = { fileName: 'memos.xlsx', filePath: workbookPath };

    const run = importDatasetInChild(request(workbook, { processMemoryMb: 300, logger }));
    const pid = await waitForImportChild();
    const error = await captureImportError(run);

    expect(error.code).toBe('RESOURCE_LIMIT');
    expect(error.fileName).toBe('memos.xlsx');
    expect(error.message).toContain('300 MiB');
    expect(hasExited(pid)).toBe(true);
    expect(await readdir(workDir)).toEqual([]);
    const warning = lines.find((line) => String(line.msg).includes('memory limit'));
    expect(warning?.processMemoryMb).toBe(300);
  });

  it('imports the same workbook under the default limit', async () => {
    const workbook = { fileName: 'memos.xlsx', filePath: workbookPath };

    const result = await importDatasetInChild(request(workbook));

    expect(result.rowCount).toBe(50_000);
  });

  it('kills a child over the time limit', async () => {
    const fifo = { fileName: 'stalled.csv', filePath: path.join(root, 'stalled.csv') };
    createFifo(fifo.filePath);

    const error = await captureImportError(
      importDatasetInChild(request(fifo, { timeoutMs: 1_000 })),
    );

    expect(error.code).toBe('RESOURCE_LIMIT');
    expect(error.message).toBe(
      'stalled.csv: the import timed out after 1 second and was stopped. Split the file into smaller files and import each.',
    );
    expect(await readdir(workDir)).toEqual([]);
  });

  it('names a preview over its time limit', async () => {
    const fifo = { fileName: 'stalled.csv', filePath: path.join(root, 'stalled-preview.csv') };
    createFifo(fifo.filePath);

    const error = await captureImportError(
      importDatasetInChild(request(fifo, { previewRows: 20, timeoutMs: 1_000 })),
    );

    expect(error.code).toBe('RESOURCE_LIMIT');
    expect(error.message).toBe(
      'stalled.csv: the preview timed out after 1 second and was stopped. Import the file with "peytonix datasets import", which has a longer time limit, or split it into smaller files.',
    );
  });

  it('kills the child when the signal aborts', async () => {
    const fifo = { fileName: 'stalled.csv', filePath: path.join(root, 'stalled-abort.csv') };
    createFifo(fifo.filePath);
    const controller = new AbortController();
    const reason = new Error('the client left');

    const imported = importDatasetInChild(request(fifo, { signal: controller.signal })).catch(
      (error: unknown) => error,
    );
    await waitFor(() => childProcesses(process.pid, CHILD_SCRIPT).length === 1);
    const [pid] = childProcesses(process.pid, CHILD_SCRIPT);
    controller.abort(reason);

    expect(await imported).toBe(reason);
    expect(hasExited(pid as number)).toBe(true);
    expect(await readdir(workDir)).toEqual([]);
  });

  it('reports a crashed child as RESOURCE_LIMIT', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = captureLogger(lines);
    const fifo = { fileName: 'crash.csv', filePath: path.join(root, 'crash.csv') };
    createFifo(fifo.filePath);

    const run = importDatasetInChild(request(fifo, { logger }));
    const pid = await waitForImportChild();
    process.kill(pid, 'SIGSEGV');
    const error = await captureImportError(run);

    expect(error.code).toBe('RESOURCE_LIMIT');
    expect(error.message).toContain('signal SIGSEGV');
    expect(hasExited(pid)).toBe(true);
    expect(await readdir(workDir)).toEqual([]);
    const logged = lines.find((line) => line.msg === 'import process ended without a result');
    expect(logged?.signal).toBe('SIGSEGV');
    expect((await importDatasetInChild(request(samples[0] as SampleFile))).rowCount).toBe(2);
  });

  it('passes only PATH, HOME and TMPDIR to the child', async () => {
    const saved = process.env.PEYTONIX_TEST_SECRET;
    process.env.PEYTONIX_TEST_SECRET = 'peytonix-import-secret-value';
    const fifo = { fileName: 'environ.csv', filePath: path.join(root, 'environ.csv') };
    createFifo(fifo.filePath);
    try {
      const run = importDatasetInChild(request(fifo));
      const pid = await waitForImportChild();
      const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
      process.kill(pid, 'SIGKILL');
      await captureImportError(run);

      const names = environ
        .split('\0')
        .filter((entry) => entry !== '')
        .map((entry) => entry.slice(0, entry.indexOf('=')));
      expect(names.sort()).toEqual([
        'HOME',
        'NODE_CHANNEL_FD',
        'NODE_CHANNEL_SERIALIZATION_MODE',
        'PATH',
        'TMPDIR',
      ]);
      expect(environ).not.toContain('peytonix-import-secret-value');
      expect(environ).toContain(`HOME=${workDir}${path.sep}import-process-`);
    } finally {
      if (saved === undefined) delete process.env.PEYTONIX_TEST_SECRET;
      else process.env.PEYTONIX_TEST_SECRET = saved;
    }
  });
});
