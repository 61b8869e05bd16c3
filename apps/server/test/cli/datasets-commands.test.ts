import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli.ts';
import { grantRoleDirectly } from '../support/entity-fixtures.ts';
import { realDataFile } from '../support/real-data.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';
const READER = 'rita@example.com';

describe('peytonix datasets', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let workDir: string;
  const run = (args: string[], extra: Record<string, string> = {}) =>
    runCliCaptured(args, { ...env, ...extra });

  beforeAll(async () => {
    database = await createTestDatabase();
    workDir = mkdtempSync(path.join(tmpdir(), 'peytonix-cli-datasets-'));
    env = {
      DATABASE_URL: database.ownerUrl,
      PEYTONIX_APP_DATABASE_URL: database.appUrl,
      PEYTONIX_DATA_DIR: path.join(workDir, 'data'),
      PEYTONIX_AS: ADMIN,
    };
    expect((await run(['migrate'])).code).toBe(0);
    expect((await run(['admin', 'create', '--email', ADMIN])).code).toBe(0);
    // The administrator also prepares, so one user imports and runs.
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
    expect(created.code).toBe(0);

    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      const user = await owner.query<{ id: string }>(
        `INSERT INTO users (email, display_name) VALUES ($1, 'Rita') RETURNING id`,
        [READER],
      );
      await owner.query(
        `INSERT INTO role_grants (user_id, role, entity_id) SELECT $1, 'read_only', id FROM entities WHERE code = 'AP'`,
        [user.rows[0]?.id],
      );
    } finally {
      await owner.end();
    }
  });

  afterAll(async () => {
    await database.drop();
  });

  function writeCsv(name: string, text: string): string {
    const file = path.join(workDir, name);
    writeFileSync(file, text);
    return file;
  }

  it('imports a CSV and prints its id, rows and fingerprint', async () => {
    const file = writeCsv(
      'payments.csv',
      'vendor,invoice,amount,paid_on\nV1,INV-1,"£1,234.56",03/04/2024\nV2,INV-2,(264.00),28/04/2024\n',
    );

    const result = await run([
      'datasets',
      'import',
      file,
      '--entity',
      'AP',
      '--name',
      'Payments',
      '--day-first',
      '--json',
    ]);

    expect(result.code, result.stderr).toBe(0);
    const version = JSON.parse(result.stdout) as {
      datasetId: string;
      versionId: string;
      version: number;
      rowCount: number;
      sha256: string;
      columns: { name: string; type: string }[];
    };
    expect(version.version).toBe(1);
    expect(version.rowCount).toBe(2);
    expect(version.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(version.columns.map((column) => column.name)).toEqual([
      'vendor',
      'invoice',
      'amount',
      'paid_on',
    ]);
    expect(version.columns.find((column) => column.name === 'paid_on')?.type).toBe('DATE');
  });

  it('numbers versions and shows their schema', async () => {
    const file = writeCsv('payments-2.csv', 'vendor,invoice,amount\nV3,INV-3,10.00\n');
    expect(
      (await run(['datasets', 'import', file, '--entity', 'AP', '--name', 'payments'])).code,
    ).toBe(0);

    const shown = await run(['datasets', 'show', 'Payments', '--entity', 'AP', '--json'], {
      PEYTONIX_AS: READER,
    });

    expect(shown.code, shown.stderr).toBe(0);
    const dataset = JSON.parse(shown.stdout) as {
      versions: { version: number; rowCount: number }[];
    };
    expect(dataset.versions.map((version) => version.version)).toEqual([2, 1]);
    expect(dataset.versions[0]?.rowCount).toBe(1);
  });

  it('prints and keeps import warnings', async () => {
    const file = writeCsv('unnamed.csv', 'vendor,,amount\nV4,x,10.00\n');

    const imported = await run(['datasets', 'import', file, '--entity', 'AP', '--name', 'Unnamed']);
    const shown = await run(['datasets', 'show', 'Unnamed', '--entity', 'AP', '--json']);

    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/warning +unnamed\.csv: the column at position 2 had no name/);
    const dataset = JSON.parse(shown.stdout) as { versions: { warnings: string[] }[] };
    expect(dataset.versions[0]?.warnings).toEqual([
      expect.stringContaining('position 2 had no name and was named column_<position>'),
    ]);
  });

  it('names the file, line, column and value of a bad value', async () => {
    const file = writeCsv('bad.csv', 'vendor,amount\nV1,10.00\nV2,ten\n');

    const result = await run([
      'datasets',
      'import',
      file,
      '--entity',
      'AP',
      '--name',
      'Bad',
      '--column-type',
      'amount=DECIMAL(18,2)',
      '--json',
    ]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bad.csv');
    expect(result.stderr).toContain('amount');
    expect(result.stderr).toContain('ten');
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      error: {
        code: 'IMPORT_REJECTED',
        reason: 'INVALID_VALUE',
        fileName: 'bad.csv',
        line: 3,
        column: 'amount',
        value: 'ten',
      },
    });
    const listed = await run(['datasets', 'list', '--json']);
    expect(
      (JSON.parse(listed.stdout) as { datasets: { name: string }[] }).datasets.map(
        (item) => item.name,
      ),
    ).not.toContain('Bad');
  });

  it('rejects more columns than PEYTONIX_DATASET_MAX_COLUMNS', async () => {
    const file = writeCsv('wide.csv', 'a,b,c\n1,2,3\n');

    const result = await run(
      ['datasets', 'import', file, '--entity', 'AP', '--name', 'Wide', '--json'],
      { PEYTONIX_DATASET_MAX_COLUMNS: '2' },
    );

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      error: { code: 'IMPORT_REJECTED', reason: 'TOO_MANY_COLUMNS', fileName: 'wide.csv' },
    });
    expect(result.stderr).toContain('wide.csv has 3 columns, more than the 2 an import takes.');
  });

  it('rejects dataset names with "@" or control characters', async () => {
    const file = writeCsv('named.csv', 'vendor,amount\nV1,1.00\n');

    for (const name of ['Payments@2', 'Pay\u0007ments']) {
      const result = await run(['datasets', 'import', file, '--entity', 'AP', '--name', name]);
      expect(result.code, name).toBe(2);
      expect(result.stdout + result.stderr, name).toContain('Invalid dataset name');
    }
  });

  it('keeps readers from importing', async () => {
    const file = writeCsv('reader.csv', 'a\n1\n');

    const result = await run(
      ['datasets', 'import', file, '--entity', 'AP', '--name', 'Reader', '--json'],
      {
        PEYTONIX_AS: READER,
      },
    );

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'FORBIDDEN' } });
  });

  it('reports an entity outside the scope as not found', async () => {
    const file = writeCsv('scope.csv', 'a\n1\n');

    const result = await run(
      ['datasets', 'import', file, '--entity', 'ORG', '--name', 'Scope', '--json'],
      {
        PEYTONIX_AS: READER,
      },
    );

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'RESOURCE_NOT_FOUND' } });
  });

  it('imports the real corporate payments ledger', async () => {
    const file = realDataFile('nigrini/corporate.payment.csv');
    if (file === null) return;

    const result = await run([
      'datasets',
      'import',
      file,
      '--entity',
      'AP',
      '--name',
      'Corporate payments',
      '--json',
    ]);

    expect(result.code, result.stderr).toBe(0);
    const version = JSON.parse(result.stdout) as {
      rowCount: number;
      columns: { name: string; type: string }[];
    };
    expect(version.rowCount).toBe(189_470);
    expect(version.columns.find((column) => column.name === 'Date')?.type).toBe('DATE');
    expect(version.columns.find((column) => column.name === 'Amount')?.type).toMatch(
      /^DECIMAL|DOUBLE/,
    );
  }, 120_000);
});
