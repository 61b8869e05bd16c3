import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli.ts';
import { grantRoleDirectly } from '../support/entity-fixtures.ts';
import { realDataFile } from '../support/real-data.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';

interface RunJson {
  runId: string;
  runNumber: number | null;
  status: string;
  exceptionCount: number | null;
  resultHash: string | null;
  errorCode: string | null;
  summary: Record<string, unknown> | null;
  inputs: {
    name: string;
    datasetVersionId: string;
    version: number;
    parquetSha256: string;
    fields: Record<string, string | null>;
  }[];
}

describe('peytonix tests run', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let workDir: string;
  const run = (args: string[]) => runCliCaptured(args, env);

  beforeAll(async () => {
    database = await createTestDatabase();
    workDir = mkdtempSync(path.join(tmpdir(), 'peytonix-cli-runs-'));
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
    expect(
      (
        await run([
          'entities',
          'create',
          '--parent',
          'ORG',
          '--type',
          'business_unit',
          '--code',
          'AP',
          '--name',
          'AP',
        ])
      ).code,
    ).toBe(0);
  });

  afterAll(async () => {
    await database.drop();
  });

  async function importPayments(name: string, rows: string[]) {
    const file = path.join(workDir, `${name}.csv`);
    writeFileSync(file, `VendorNum,InvNum,Amount,PaidOn\n${rows.join('\n')}\n`);
    const result = await run([
      'datasets',
      'import',
      file,
      '--entity',
      'AP',
      '--name',
      'Payments',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
  }

  async function runDuplicates(extra: string[] = []): Promise<RunJson> {
    const result = await run([
      'tests',
      'run',
      'duplicate-payments-exact',
      '--entity',
      'AP',
      '--input',
      'payments=Payments',
      '--map',
      'vendor_id=VendorNum',
      '--map',
      'invoice_number=InvNum',
      '--map',
      'amount=Amount',
      '--map',
      'payment_date=PaidOn',
      '--json',
      '--wait',
      ...extra,
    ]);
    expect(result.code, result.stderr + result.stdout).toBe(0);
    return JSON.parse(result.stdout) as RunJson;
  }

  it('flags duplicates and records what it ran on', async () => {
    await importPayments('first', [
      '10,INV-1,100.00,2024-01-02',
      '10,INV-1,100.00,2024-01-09',
      '11,INV-7,50.00,2024-01-03',
      '11,INV-7,50.00,2024-01-03',
      '12,INV-9,75.00,2024-01-04',
    ]);

    const first = await runDuplicates();

    expect(first.status).toBe('succeeded');
    expect(first.runNumber).toBe(1);
    expect(first.exceptionCount).toBe(2);
    expect(first.resultHash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.inputs[0]).toMatchObject({
      name: 'payments',
      version: 1,
      fields: { vendor_id: 'VendorNum' },
    });

    const listed = await run(['exceptions', 'list', '--run', first.runId, '--json']);
    const rows = (JSON.parse(listed.stdout) as { rows: { occurrence: string }[] }).rows;
    expect(rows.map((row) => row.occurrence)).toEqual(['new', 'new']);
  });

  it('re-performs a run to the same result hash', async () => {
    const original = await runDuplicates();

    const result = await run(['runs', 'reperform', original.runId, '--json']);

    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      identical: true,
      resultHash: original.resultHash,
    });
  });

  it('carries exceptions over: recurring, new and closed', async () => {
    await importPayments('second', [
      '10,INV-1,100.00,2024-01-02',
      '10,INV-1,100.00,2024-01-09',
      '12,INV-9,75.00,2024-01-04',
      '12,INV-9,75.00,2024-02-04',
    ]);

    const third = await runDuplicates();

    expect(third.inputs[0]?.version).toBe(2);
    const listed = await run(['exceptions', 'list', '--run', third.runId, '--json']);
    const rows = (
      JSON.parse(listed.stdout) as {
        rows: { occurrence: string; payload: { vendor_id: string } }[];
      }
    ).rows;
    expect(rows.map((row) => [row.payload.vendor_id, row.occurrence]).sort()).toEqual([
      ['10', 'recurring'],
      ['12', 'new'],
    ]);
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      const closed = await owner.query<{ closed_reason: string }>(
        `SELECT closed_reason FROM exceptions WHERE status = 'closed'`,
      );
      expect(closed.rows).toEqual([{ closed_reason: `not present in run ${third.runNumber}` }]);
    } finally {
      await owner.end();
    }
  });

  it('keeps a preview apart from exceptions', async () => {
    const preview = await runDuplicates(['--preview']);

    expect(preview.runNumber).toBeNull();
    const listed = await run(['exceptions', 'list', '--run', preview.runId, '--json']);
    expect(JSON.parse(listed.stdout)).toMatchObject({ preview: true });
  });

  it('queues a run for the workers without --wait', async () => {
    const result = await run([
      'tests',
      'run',
      'duplicate-payments-exact',
      '--entity',
      'AP',
      '--input',
      'payments=Payments',
      '--map',
      'vendor_id=VendorNum',
      '--map',
      'invoice_number=InvNum',
      '--map',
      'amount=Amount',
      '--map',
      'payment_date=PaidOn',
      '--preview',
      '--json',
    ]);

    expect(result.code, result.stderr).toBe(0);
    const queued = JSON.parse(result.stdout) as RunJson;
    expect(queued.status, result.stderr).toBe('queued');
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      const jobs = await owner.query<{ data: { runId: string } }>(
        `SELECT data FROM pgboss.job WHERE name = 'test-run' AND data->>'runId' = $1`,
        [queued.runId],
      );
      expect(jobs.rows).toHaveLength(1);
    } finally {
      await owner.end();
    }
  });

  it('lists the test and the library', async () => {
    const result = await run(['tests', 'list', '--json']);

    expect(result.code).toBe(0);
    const listing = JSON.parse(result.stdout) as {
      tests: { key: string; runs: number }[];
      templates: { key: string }[];
    };
    expect(listing.tests).toEqual([
      expect.objectContaining({ key: 'duplicate-payments-exact', runs: 3 }),
    ]);
    expect(listing.templates.map((template) => template.key)).toContain('benford-first-digit');
  });

  it('drafts a test from YAML, previews it and exports it', async () => {
    const file = path.join(workDir, 'large-payments.yaml');
    writeFileSync(
      file,
      [
        'key: large-payments',
        'name: Large payments',
        'severity: medium',
        'controlReference: AP-07',
        'inputs:',
        '  - name: payments',
        '    description: Vendor payments.',
        '    fields:',
        '      - { name: vendor_id, type: text, description: Vendor., required: true }',
        '      - { name: amount, type: decimal, description: Amount paid., required: true }',
        'parameters:',
        '  - { name: threshold, type: decimal, default: "60", description: Smallest flagged amount. }',
        'keyColumns: [vendor_id, amount]',
        'sql: |',
        '  SELECT DISTINCT vendor_id, amount FROM payments WHERE amount >= $threshold ORDER BY vendor_id',
        '',
      ].join('\n'),
    );

    const drafted = await run(['tests', 'import', file, '--entity', 'AP', '--json']);
    expect(drafted.code, drafted.stderr).toBe(0);
    expect(JSON.parse(drafted.stdout)).toMatchObject({
      key: 'large-payments',
      version: 1,
      state: 'draft',
    });

    const real = await run([
      'tests',
      'run',
      'large-payments',
      '--entity',
      'AP',
      '--input',
      'payments=Payments',
      '--map',
      'vendor_id=VendorNum',
      '--map',
      'amount=Amount',
      '--wait',
      '--json',
    ]);
    expect(real.code).toBe(1);
    expect(real.stderr).toContain('no active version');

    const preview = await run([
      'tests',
      'run',
      'large-payments',
      '--entity',
      'AP',
      '--input',
      'payments=Payments',
      '--map',
      'vendor_id=VendorNum',
      '--map',
      'amount=Amount',
      '--param',
      'threshold=80',
      '--preview',
      '--wait',
      '--json',
    ]);
    expect(preview.code, preview.stderr).toBe(0);
    expect(JSON.parse(preview.stdout)).toMatchObject({
      status: 'succeeded',
      preview: true,
      exceptionCount: 1,
    });

    const exported = await run([
      'tests',
      'export',
      'large-payments',
      '--entity',
      'AP',
      '--version',
      '1',
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain('key: large-payments');
    expect(exported.stdout).toContain('controlReference: AP-07');
  });

  it('reads inputs the version binds when the run names none', async () => {
    const definition = (bindings: string) =>
      [
        'key: bound-payments',
        'name: Bound payments',
        'severity: medium',
        'inputs:',
        '  - name: payments',
        '    description: Vendor payments.',
        '    fields:',
        '      - { name: vendor_id, type: text, description: Vendor., required: true }',
        '      - { name: amount, type: decimal, description: Amount paid., required: true }',
        'keyColumns: [vendor_id, amount]',
        'sql: SELECT DISTINCT vendor_id, amount FROM payments WHERE amount >= 60',
        bindings,
        '',
      ].join('\n');
    const file = path.join(workDir, 'bound-payments.yaml');
    const preview = (extra: string[]) =>
      run([
        'tests',
        'run',
        'bound-payments',
        '--entity',
        'AP',
        '--preview',
        '--wait',
        '--json',
        ...extra,
      ]);

    writeFileSync(file, definition(''));
    expect((await run(['tests', 'import', file, '--entity', 'AP'])).code).toBe(0);
    const unbound = await preview([]);

    writeFileSync(
      file,
      definition(
        'bindings:\n  payments:\n    dataset: Payments\n    fields: { vendor_id: VendorNum, amount: InvNum }',
      ),
    );
    expect((await run(['tests', 'import', file, '--entity', 'AP'])).code).toBe(0);
    const mappedWrong = await preview([]);
    const corrected = await preview(['--map', 'amount=Amount']);

    expect(unbound.code, unbound.stderr).toBe(2);
    expect(unbound.stderr).toContain(
      'needs input payments, and its version 1 binds no dataset to it: bind a dataset to input payments (--input payments=DATASET[@VERSION] in the CLI)',
    );
    // InvNum contains text such as INV-1, so the bound map fails until --map replaces it.
    expect(mappedWrong.code, mappedWrong.stderr).toBe(2);
    expect(mappedWrong.stderr).toContain(
      'Field amount of input payments is decimal, but column "InvNum" is VARCHAR. Map the field to a numeric column (fieldMap payments.amount, or --map payments.amount=COLUMN in the CLI)',
    );
    expect(corrected.code, corrected.stderr).toBe(0);
    const result = JSON.parse(corrected.stdout) as RunJson;
    expect(result.status).toBe('succeeded');
    expect(result.inputs[0]).toMatchObject({
      name: 'payments',
      fields: { vendor_id: 'VendorNum', amount: 'Amount' },
    });
  });

  it('submits a draft version for activation', async () => {
    const file = path.join(workDir, 'submitted-payments.json');
    writeFileSync(
      file,
      JSON.stringify({
        key: 'submitted-payments',
        name: 'Submitted payments',
        severity: 'low',
        inputs: [
          {
            name: 'payments',
            description: 'Vendor payments.',
            fields: [{ name: 'amount', type: 'decimal', description: 'Amount.', required: true }],
          },
        ],
        keyColumns: ['amount'],
        sql: 'SELECT DISTINCT amount FROM payments',
      }),
    );
    const drafted = await run(['tests', 'import', file, '--entity', 'AP', '--json']);
    expect(drafted.code, drafted.stderr).toBe(0);
    const { versionId } = JSON.parse(drafted.stdout) as { versionId: string };
    const submit = (version: string) =>
      run([
        'tests',
        'submit',
        '--entity',
        'AP',
        '--test',
        'submitted-payments',
        '--version',
        version,
        '--justification',
        'Reviewed in the walkthrough.',
        '--json',
      ]);

    const submitted = await submit('1');

    expect(submitted.code, submitted.stderr).toBe(0);
    const request = JSON.parse(submitted.stdout) as {
      kind: string;
      status: string;
      targetKey: string;
      justification: string;
      diffSha256: string;
    };
    expect(request).toMatchObject({
      kind: 'test_version.activate',
      status: 'pending',
      targetKey: `test_version:${versionId}`,
      justification: 'Reviewed in the walkthrough.',
    });
    expect(request.diffSha256).toMatch(/^[0-9a-f]{64}$/);

    const again = await submit('1');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });

    const invalid = await submit('one');
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('--version');

    const missing = await submit('7');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'RESOURCE_NOT_FOUND' } });
  });

  it('rejects a definition whose SQL is not one SELECT over its inputs', async () => {
    const file = path.join(workDir, 'bad-test.json');
    writeFileSync(
      file,
      JSON.stringify({
        key: 'bad-test',
        name: 'Bad',
        severity: 'low',
        inputs: [
          {
            name: 'payments',
            description: 'x',
            fields: [{ name: 'amount', type: 'decimal', description: 'x', required: true }],
          },
        ],
        keyColumns: ['amount'],
        sql: "SELECT * FROM read_csv('/etc/passwd')",
      }),
    );

    const result = await run(['tests', 'import', file, '--entity', 'AP', '--json']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('read_csv');
  });

  it('rejects a definition under a library template key', async () => {
    const file = path.join(workDir, 'template-key.json');
    writeFileSync(
      file,
      JSON.stringify({
        key: 'benford-first-digit',
        name: 'My Benford',
        severity: 'low',
        inputs: [
          {
            name: 'payments',
            description: 'x',
            fields: [{ name: 'amount', type: 'decimal', description: 'x', required: true }],
          },
        ],
        keyColumns: ['amount'],
        sql: 'SELECT amount FROM payments',
      }),
    );

    const result = await run(['tests', 'import', file, '--entity', 'AP', '--json']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('belongs to a library template');
  });

  it('names a missing field mapping', async () => {
    const result = await run([
      'tests',
      'run',
      'duplicate-payments-exact',
      '--entity',
      'AP',
      '--input',
      'payments=Payments',
      '--json',
    ]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('vendor_id');
    expect(result.stderr).toContain('VendorNum');
  });

  it('reproduces the published Benford MAD on real payments', async () => {
    const file = realDataFile('nigrini/corporate.payment.csv');
    if (file === null) return;
    const imported = await run([
      'datasets',
      'import',
      file,
      '--entity',
      'AP',
      '--name',
      'Corporate',
      '--json',
    ]);
    expect(imported.code, imported.stderr).toBe(0);

    const result = await run([
      'tests',
      'run',
      'benford-first-digit',
      '--entity',
      'AP',
      '--input',
      'transactions=Corporate',
      '--map',
      'amount=Amount',
      '--param',
      'sign=positive',
      '--json',
      '--wait',
    ]);

    expect(result.code, result.stderr).toBe(0);
    const benford = JSON.parse(result.stdout) as RunJson;
    expect(Number(benford.summary?.n)).toBe(177_763);
    expect(Number(benford.summary?.mad)).toBeCloseTo(0.01464, 5);
  }, 120_000);

  it('fails a re-performance whose recorded fingerprint differs from the stored file', async () => {
    const original = await runDuplicates();
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      // Tampering with the database itself: replica mode skips the triggers that keep runs immutable.
      await owner.query("SET session_replication_role = 'replica'");
      await owner.query(
        `UPDATE runs SET inputs = jsonb_set(inputs, '{0,parquetSha256}', to_jsonb(repeat('ab', 32))) WHERE id = $1`,
        [original.runId],
      );
    } finally {
      await owner.end();
    }

    const result = await run(['runs', 'reperform', original.runId, '--json']);

    expect(result.code).toBe(1);
    const reperformed = JSON.parse(result.stdout) as RunJson & { errorMessage: string };
    expect(reperformed.errorCode).toBe('INPUT_FINGERPRINT_MISMATCH');
    expect(reperformed.errorMessage).toContain(`differs from ${'ab'.repeat(32)}`);
  });

  it('fails a run whose stored input was altered, with a stable code', async () => {
    const original = await runDuplicates();
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    const stored = await owner.query<{ key: string }>(
      'SELECT parquet_object_key AS key FROM dataset_versions WHERE id = $1',
      [original.inputs[0]?.datasetVersionId],
    );
    await owner.end();
    const file = path.join(env.PEYTONIX_DATA_DIR ?? '', 'objects', `${stored.rows[0]?.key}.obj`);
    const bytes = readFileSync(file);
    bytes[bytes.length - 40] = (bytes[bytes.length - 40] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);

    const result = await run(['runs', 'reperform', original.runId, '--json']);

    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain('INPUT_INTEGRITY_FAILED');
  });
});
