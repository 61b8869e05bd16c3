import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDatasetsService,
  type DatasetsService,
} from '../../src/modules/datasets/datasets.service.ts';
import { importDataset } from '../../src/modules/datasets/import/import-dataset.ts';
import type { Actor } from '../../src/modules/identity/actor.ts';
import { AppError } from '../../src/platform/http/app-error.ts';
import { seedBusinessUnit } from '../support/entity-fixtures.ts';
import {
  type SampleFile,
  writeDeeplyNestedJsonLines,
  writeSampleImports,
  writeSharedStringsWorkbook,
} from '../support/import-fixtures.ts';
import { captureLogger, startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

describe('datasets service imports', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let admin: Actor;
  let root: string;
  let samples: SampleFile[];

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database);
    admin = await seedBusinessUnit(testApp, {
      adminEmail: 'ada@example.com',
      outsiderEmail: 'otto@example.com',
      code: 'AP',
      name: 'Payables',
    });
    root = await mkdtemp(path.join(os.tmpdir(), 'peytonix-import-service-'));
    const sources = path.join(root, 'sources');
    await mkdir(sources);
    samples = await writeSampleImports(sources);
  });

  afterAll(async () => {
    await testApp.close();
    await database.drop();
    await rm(root, { recursive: true, force: true });
  });

  async function importFailure(run: Promise<unknown>): Promise<AppError> {
    try {
      await run;
    } catch (error) {
      if (error instanceof AppError) return error;
      throw error;
    }
    throw new Error('expected the import to be rejected');
  }

  /** Reason codes of the dataset.import_failed events, oldest first. */
  async function importFailureReasons(): Promise<(string | null)[]> {
    const client = new pg.Client({ connectionString: testApp.ownerUrl });
    await client.connect();
    try {
      const result = await client.query<{ reason_code: string | null }>(
        `SELECT reason_code FROM (
           SELECT reason_code, occurred_at FROM audit_events WHERE action = 'dataset.import_failed'
           UNION ALL
           SELECT reason_code, occurred_at FROM audit_pending WHERE action = 'dataset.import_failed'
         ) failures ORDER BY occurred_at`,
      );
      return result.rows.map((row) => row.reason_code);
    } finally {
      await client.end();
    }
  }

  it('importFile matches in-process fingerprints', async () => {
    for (const sample of samples) {
      const directWorkDir = await mkdtemp(path.join(root, 'direct-'));
      const direct = await importDataset({
        sourcePath: sample.filePath,
        fileName: sample.fileName,
        workDir: directWorkDir,
      });

      const version = await testApp.services.datasets.importFile(admin, {
        entityCode: 'AP',
        datasetName: path.parse(sample.fileName).name,
        filePath: sample.filePath,
        fileName: sample.fileName,
      });

      expect(version.sha256, sample.fileName).toBe(direct.rawSha256);
      expect(version.parquetSha256, sample.fileName).toBe(direct.parquetSha256);
      expect(version.parquetSize, sample.fileName).toBe(direct.parquetSize);
      expect(version.rowCount, sample.fileName).toBe(direct.rowCount);
      expect(version.sourceFormat, sample.fileName).toBe(direct.format);
      expect(version.columns, sample.fileName).toEqual(direct.columns);
      expect(version.parseOptions, sample.fileName).toEqual(direct.appliedOptions);
    }
    const finished = testApp.logLines.filter((line) => line.msg === 'import process finished');
    expect(finished.map((line) => line.outcome)).toEqual(samples.map(() => 'result'));
    expect(finished.every((line) => typeof line.importPid === 'number')).toBe(true);
  });

  it('rejects deep nesting, then imports', async () => {
    const deepPath = path.join(root, 'deep.jsonl');
    await writeDeeplyNestedJsonLines(deepPath, 100_000);

    const error = await importFailure(
      testApp.services.datasets.importFile(admin, {
        entityCode: 'AP',
        datasetName: 'Deep',
        filePath: deepPath,
        fileName: 'deep.jsonl',
      }),
    );

    expect(error.code).toBe('IMPORT_REJECTED');
    expect(error.status).toBe(422);
    expect(error.extensions).toEqual({ reason: 'MALFORMED_ROW', fileName: 'deep.jsonl', line: 2 });
    const [csv] = samples;
    if (csv === undefined) throw new Error('no sample CSV');
    const next = await testApp.services.datasets.importFile(admin, {
      entityCode: 'AP',
      datasetName: 'After deep',
      filePath: csv.filePath,
      fileName: csv.fileName,
    });
    expect(next.rowCount).toBe(2);
  });

  it('rejects an import over memory', async () => {
    const workbookPath = path.join(root, 'memos.xlsx');
    await writeSharedStringsWorkbook(workbookPath, 50_000);
    const workRoot = path.join(root, 'work');
    const logLines: Record<string, unknown>[] = [];
    const datasets: DatasetsService = createDatasetsService({
      db: testApp.database.db,
      logger: captureLogger(logLines),
      securityEvents: testApp.services.securityEvents,
      access: testApp.services.access,
      storage: () => Promise.reject(new Error('a rejected import stores nothing')),
      workRoot,
      importLimits: { processMemoryMb: 300 },
    });

    const error = await importFailure(
      datasets.importFile(admin, {
        entityCode: 'AP',
        datasetName: 'Memos',
        filePath: workbookPath,
        fileName: 'memos.xlsx',
      }),
    );

    expect(error.code).toBe('IMPORT_REJECTED');
    expect(error.status).toBe(422);
    expect(error.extensions).toEqual({ reason: 'RESOURCE_LIMIT', fileName: 'memos.xlsx' });
    expect(error.detail).toContain('300 MiB');
    expect(await readdir(workRoot)).toEqual([]);
    expect((await importFailureReasons()).at(-1)).toBe('RESOURCE_LIMIT');
    const warning = logLines.find(
      (line) => line.msg === 'import process exceeded its memory limit and was killed',
    );
    expect(warning?.processMemoryMb).toBe(300);
  });
});
