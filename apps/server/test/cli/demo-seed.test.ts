import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoSeedReport } from '../../src/modules/demo/demo-seed.ts';
import {
  generateSyntheticData,
  writeSyntheticData,
} from '../../src/modules/demo/synthetic-data.ts';
import { LIBRARY_TEMPLATES } from '../../src/modules/tests/library/library.ts';
import { runCliCaptured } from '../support/cli.ts';
import { startTestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const PREPARER = 'preparer@demo.peytonix.test';

/** The anomalies planted in the synthetic data, per library template. */
const PLANTED = {
  'duplicate-payments-exact': 5,
  'duplicate-payments-likely': 6,
  'split-purchases': 5,
  'weekend-holiday-postings': 9,
  'round-amounts': 7,
  'just-below-limit': 9,
  'sequence-gaps-duplicates': 7,
  'three-way-match': 12,
  'vendor-employee-match': 7,
  'terminated-users-with-access': 6,
  'sod-conflicts': 8,
};

const DEMO_USERS = [
  ['read-only@demo.peytonix.test', 'read_only'],
  ['preparer@demo.peytonix.test', 'preparer'],
  ['reviewer@demo.peytonix.test', 'reviewer'],
  ['management@demo.peytonix.test', 'management'],
  ['administrator@demo.peytonix.test', 'administrator'],
] as const;

describe('peytonix demo seed', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let dataDir: string;
  let first: { code: number; stdout: string; stderr: string; report: DemoSeedReport };
  const run = (args: string[]) => runCliCaptured(args, env);

  async function ownerQuery<Row extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      return (await owner.query<Row>(text, values)).rows;
    } finally {
      await owner.end();
    }
  }

  async function tableCounts() {
    const [row] = await ownerQuery<Record<string, string>>(
      `SELECT (SELECT count(*) FROM entities) AS entities,
              (SELECT count(*) FROM users) AS users,
              (SELECT count(*) FROM role_grants) AS grants,
              (SELECT count(*) FROM password_credentials) AS passwords,
              (SELECT count(*) FROM datasets) AS datasets,
              (SELECT count(*) FROM dataset_versions) AS dataset_versions,
              (SELECT count(*) FROM test_definitions) AS tests,
              (SELECT count(*) FROM runs) AS runs,
              (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM audit_pending) AS audit_events`,
    );
    return row;
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    const workDir = mkdtempSync(path.join(tmpdir(), 'peytonix-cli-demo-'));
    dataDir = path.join(workDir, 'data');
    env = {
      DATABASE_URL: database.ownerUrl,
      PEYTONIX_APP_DATABASE_URL: database.appUrl,
      PEYTONIX_DATA_DIR: dataDir,
    };
    const result = await run(['demo', 'seed', '--json']);
    first = { ...result, report: JSON.parse(result.stdout) as DemoSeedReport };
  }, 300_000);

  afterAll(async () => {
    await database?.drop();
  });

  it('flags the planted count for every template', () => {
    expect(first.code, first.stderr).toBe(0);
    const expected = generateSyntheticData().expected;
    for (const [template, count] of Object.entries(PLANTED)) {
      expect(expected[template], template).toEqual({ count, source: 'planted' });
    }

    expect(first.report.runs.map((entry) => entry.template)).toEqual(
      LIBRARY_TEMPLATES.map((template) => template.key),
    );
    for (const entry of first.report.runs) {
      expect(entry.status, entry.template).toBe('succeeded');
      expect(entry.exceptionCount, entry.template).toBe(expected[entry.template]?.count);
      expect(entry.resultHash, entry.template).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(first.report.mismatches).toEqual([]);
  });

  it('flags the Benford digits the generator predicts', async () => {
    const expected = generateSyntheticData().expected;
    const digitColumns = {
      'benford-first-digit': 'first_digit',
      'benford-first-two': 'first_two_digits',
    } as const;

    for (const [template, column] of Object.entries(digitColumns)) {
      const entry = first.report.runs.find((candidate) => candidate.template === template);
      expect(entry?.expectedSource).toBe('computed');
      const listed = await run([
        'exceptions',
        'list',
        '--run',
        entry?.runId ?? '',
        '--as',
        PREPARER,
        '--json',
      ]);
      expect(listed.code, listed.stderr).toBe(0);
      const rows = (JSON.parse(listed.stdout) as { rows: { payload: Record<string, unknown> }[] })
        .rows;
      const flagged = rows.map((row) => Number(row.payload[column])).sort((a, b) => a - b);
      expect(flagged, template).toEqual(expected[template]?.digits);
    }
  });

  it('creates one user per role with a grant on the business unit', async () => {
    const grants = await ownerQuery<{ email: string; role: string; code: string }>(
      `SELECT u.email, g.role, e.code
         FROM users u JOIN role_grants g ON g.user_id = u.id JOIN entities e ON e.id = g.entity_id
        WHERE u.email LIKE '%@demo.peytonix.test'
        ORDER BY u.email`,
    );

    // The administrator administers the root, which covers the business unit.
    expect(grants.map((grant) => [grant.email, grant.role, grant.code]).sort()).toEqual(
      DEMO_USERS.map(([email, role]) => [
        email,
        role,
        role === 'administrator' ? 'ORG' : 'DEMO',
      ]).sort(),
    );
    const statuses = await ownerQuery<{ status: string }>(
      `SELECT status FROM users WHERE email LIKE '%@demo.peytonix.test'`,
    );
    expect(statuses.map((row) => row.status)).toEqual(Array(5).fill('active'));
  });

  it('prints passwords that sign in', async () => {
    const app = await startTestApp(database, { env: { PEYTONIX_DATA_DIR: dataDir } });
    try {
      for (const [email] of DEMO_USERS) {
        const password = first.report.users.find((user) => user.email === email)?.password;
        expect(password, email).toMatch(/^[A-Za-z0-9_-]{24}$/);

        const result = await app.services.auth.login.signInWithPassword(email, password ?? '', {
          ipAddress: '127.0.0.1',
        });

        expect(result.status, email).toBe('signed_in');
        // A second factor is required by default, so the session can only enrol one.
        expect(result.status === 'signed_in' ? result.tokens.assurance : null, email).toBe(
          'enrolment_only',
        );
      }
    } finally {
      await app.close();
    }
  });

  it('keeps passwords out of logs and storage', async () => {
    const passwords = first.report.users.map((user) => user.password ?? '');
    const hashes = await ownerQuery<{ password_hash: string }>(
      `SELECT c.password_hash FROM password_credentials c JOIN users u ON u.id = c.user_id
        WHERE u.email LIKE '%@demo.peytonix.test'`,
    );
    const events = await ownerQuery<{ event: string }>(
      `SELECT row_to_json(audit_events)::text AS event FROM audit_events
       UNION ALL SELECT row_to_json(audit_pending)::text FROM audit_pending`,
    );

    expect(hashes).toHaveLength(5);
    for (const password of passwords) {
      expect(password).not.toBe('');
      expect(first.stderr).not.toContain(password);
      for (const { password_hash: hash } of hashes) {
        expect(hash.startsWith('$argon2id$')).toBe(true);
        expect(hash).not.toContain(password);
      }
      expect(events.filter(({ event }) => event.includes(password))).toEqual([]);
    }
  });

  it('labels the files and datasets as synthetic', async () => {
    const files = readdirSync(path.join(dataDir, 'demo-data')).sort();
    expect(files).toContain('README-SYNTHETIC.txt');
    expect(files.filter((name) => name.endsWith('.csv'))).toHaveLength(13);
    for (const name of files.filter((file) => file.endsWith('.csv'))) {
      expect(name.startsWith('synthetic-'), name).toBe(true);
    }

    const listed = await run(['datasets', 'list', '--as', PREPARER, '--json']);
    const datasets = (JSON.parse(listed.stdout) as { datasets: { name: string }[] }).datasets;
    expect(datasets).toHaveLength(13);
    for (const dataset of datasets)
      expect(dataset.name.startsWith('Synthetic '), dataset.name).toBe(true);
    const descriptions = await ownerQuery<{ description: string }>(
      `SELECT description FROM datasets`,
    );
    for (const { description } of descriptions) expect(description).toMatch(/^SYNTHETIC demo data/);
  });

  it('changes nothing on a second run', async () => {
    const before = await tableCounts();

    const again = await run(['demo', 'seed', '--json']);
    const text = await run(['demo', 'seed']);

    expect(again.code, again.stderr).toBe(0);
    expect(await tableCounts()).toEqual(before);
    const report = JSON.parse(again.stdout) as DemoSeedReport;
    expect(report.changed).toBe(false);
    expect(report.filesWritten).toEqual([]);
    expect(report.entities.map((entity) => entity.created)).toEqual([false, false, false]);
    for (const user of report.users) {
      expect(user, user.email).toMatchObject({
        created: false,
        grantCreated: false,
        password: null,
        hasPassword: true,
      });
    }
    expect(report.datasets.every((dataset) => !dataset.imported && dataset.sameContent)).toBe(true);
    expect(
      report.runs.map(({ template, runId, exceptionCount, resultHash, ran }) => ({
        template,
        runId,
        exceptionCount,
        resultHash,
        ran,
      })),
    ).toEqual(
      first.report.runs.map(({ template, runId, exceptionCount, resultHash }) => ({
        template,
        runId,
        exceptionCount,
        resultHash,
        ran: false,
      })),
    );
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Nothing changed');
    expect(text.stdout).toContain('password set earlier, not shown again');
  });

  it('generates the same bytes twice', async () => {
    const [one, two] = [
      mkdtempSync(path.join(tmpdir(), 'peytonix-demo-a-')),
      mkdtempSync(path.join(tmpdir(), 'peytonix-demo-b-')),
    ];

    const written = await writeSyntheticData(one);
    await writeSyntheticData(two);

    expect(written.written).toHaveLength(14);
    for (const file of written.data.files) {
      const bytes = readFileSync(path.join(one, file.fileName));
      expect(readFileSync(path.join(two, file.fileName)).equals(bytes), file.fileName).toBe(true);
      expect(
        readFileSync(path.join(dataDir, 'demo-data', file.fileName)).equals(bytes),
        file.fileName,
      ).toBe(true);
    }
    expect((await writeSyntheticData(one)).written).toEqual([]);
  });
});
