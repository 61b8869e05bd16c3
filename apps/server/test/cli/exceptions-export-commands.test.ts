import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli.ts';
import { grantRoleDirectly } from '../support/entity-fixtures.ts';
import {
  insertException,
  insertRun,
  insertTest,
  readCsv,
  readXlsx,
} from '../support/export-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';
const VENDOR = '=HYPERLINK("http://127.0.0.1/x","click")';

interface ExportJson {
  file: string;
  format: string;
  rows: number;
  bytes: number;
  sha256: string;
}

describe('peytonix exceptions export', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let workDir: string;
  let owner: pg.Client;
  let runId: string;
  const run = (args: string[]) => runCliCaptured(args, env);
  const outPath = (name: string) => path.join(workDir, name);

  beforeAll(async () => {
    database = await createTestDatabase();
    workDir = mkdtempSync(path.join(tmpdir(), 'peytonix-cli-export-'));
    env = {
      DATABASE_URL: database.ownerUrl,
      PEYTONIX_APP_DATABASE_URL: database.appUrl,
      PEYTONIX_DATA_DIR: path.join(workDir, 'data'),
      PEYTONIX_AS: ADMIN,
    };
    expect((await run(['migrate'])).code).toBe(0);
    expect((await run(['admin', 'create', '--email', ADMIN])).code).toBe(0);
    await grantRoleDirectly(database.ownerUrl, {
      email: ADMIN,
      role: 'preparer',
      entityCode: 'ORG',
    });
    const created = await run([
      'entities',
      'create',
      '--parent',
      'ORG',
      '--type',
      'business_unit',
      '--code',
      'AP',
      '--name',
      'Payables',
    ]);
    expect(created.code, created.stderr).toBe(0);

    owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    const test = await insertTest(owner, {
      entityCode: 'AP',
      testKey: 'vendor-check',
      ownerEmail: ADMIN,
    });
    runId = await insertRun(owner, test, 1);
    await insertException(owner, test, runId, { vendor: VENDOR, amount: '-12.50' });
    await insertException(owner, test, runId, { vendor: 'Acme', amount: '7.00' });
  }, 120_000);

  afterAll(async () => {
    await owner?.end();
    await database?.drop();
  });

  it('writes a test as CSV and prints JSON', async () => {
    const file = outPath('by-test.csv');

    const result = await run([
      'exceptions',
      'export',
      '--entity',
      'AP',
      '--test',
      'vendor-check',
      '--format',
      'csv',
      '--out',
      file,
      '--json',
    ]);

    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as ExportJson;
    const body = readFileSync(file);
    expect(printed).toEqual({
      file,
      format: 'csv',
      rows: 2,
      bytes: body.length,
      sha256: createHash('sha256').update(body).digest('hex'),
    });
    const { rows } = await readCsv(body);
    const header = rows[0] ?? [];
    const vendors = rows.slice(1).map((row) => row[header.indexOf('payload.vendor')]);
    expect(vendors.sort()).toEqual([`'${VENDOR}`, 'Acme'].sort());
    const amounts = rows.slice(1).map((row) => row[header.indexOf('payload.amount')]);
    expect(amounts.sort()).toEqual(['-12.50', '7.00']);
  });

  it('writes a run as XLSX', async () => {
    const file = outPath('by-run.xlsx');

    const result = await run([
      'exceptions',
      'export',
      '--run',
      runId,
      '--format',
      'xlsx',
      '--out',
      file,
    ]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^Wrote 2 exceptions to .*by-run\.xlsx \(xlsx, \d+ bytes, SHA-256 [0-9a-f]{64}\)\.\n$/,
    );
    const rows = await readXlsx(readFileSync(file));
    expect(rows).toHaveLength(3);
    expect(rows.slice(1).map((row) => row[5])).toEqual([1, 1]);
  });

  it('audits the export as the acting user', async () => {
    // Events wait in audit_pending until a sealer or reader gives them a sequence number.
    const events = await owner.query<{ outcome: string; channel: string; details: string }>(
      `SELECT outcome, channel, details_jcs AS details FROM audit_pending
       WHERE action = 'exceptions.exported'
       UNION ALL
       SELECT outcome, channel, details::text FROM audit_events
       WHERE action = 'exceptions.exported'`,
    );

    const details = events.rows.map(
      (event) => JSON.parse(event.details) as Record<string, unknown>,
    );
    expect(details.map((detail) => detail.format).sort()).toEqual(['csv', 'xlsx']);
    expect(details.map((detail) => detail.rows)).toEqual([2, 2]);
    for (const event of events.rows) {
      expect(event.outcome).toBe('success');
      expect(event.channel).toBe('cli');
    }
  });

  it('refuses to overwrite a file', async () => {
    const file = outPath('exists.csv');
    writeFileSync(file, 'keep me');

    const result = await run([
      'exceptions',
      'export',
      '--run',
      runId,
      '--format',
      'csv',
      '--out',
      file,
      '--json',
    ]);

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).error.code).toBe('OUTPUT_EXISTS');
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('removes the file of a failed export', async () => {
    const file = outPath('missing-run.csv');

    const result = await run([
      'exceptions',
      'export',
      '--run',
      randomUUID(),
      '--format',
      'csv',
      '--out',
      file,
      '--json',
    ]);

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).error.code).toBe('RESOURCE_NOT_FOUND');
    expect(existsSync(file)).toBe(false);
  });

  it('rejects a test without its entity', async () => {
    const file = outPath('no-entity.csv');

    const result = await run([
      'exceptions',
      'export',
      '--test',
      'vendor-check',
      '--format',
      'csv',
      '--out',
      file,
      '--json',
    ]);

    expect(result.code).toBe(2);
    const error = JSON.parse(result.stdout).error as { code: string; message: string };
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toMatch(/^Invalid --entity: /);
    expect(existsSync(file)).toBe(false);
  });

  it('rejects an unknown format', async () => {
    const result = await run([
      'exceptions',
      'export',
      '--run',
      runId,
      '--format',
      'pdf',
      '--out',
      outPath('pdf.pdf'),
    ]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pdf');
  });
});
