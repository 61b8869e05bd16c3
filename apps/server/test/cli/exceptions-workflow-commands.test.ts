import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli.ts';
import { grantRoleDirectly } from '../support/entity-fixtures.ts';
import { duplicatePaymentsCsv } from '../support/exception-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';
const REVIEWER = 'rita@example.com';
const MANAGER = 'mona@example.com';

describe('peytonix exceptions workflow commands', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let exceptionIds: string[];
  const run = (args: string[], as = ADMIN) => runCliCaptured(args, { ...env, PEYTONIX_AS: as });

  beforeAll(async () => {
    database = await createTestDatabase();
    const workDir = mkdtempSync(path.join(tmpdir(), 'peytonix-cli-exceptions-'));
    env = {
      DATABASE_URL: database.ownerUrl,
      PEYTONIX_APP_DATABASE_URL: database.appUrl,
      PEYTONIX_DATA_DIR: path.join(workDir, 'data'),
    };
    expect((await run(['migrate'])).code).toBe(0);
    expect((await run(['admin', 'create', '--email', ADMIN])).code).toBe(0);
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      await owner.query(
        "INSERT INTO users (email, display_name) VALUES ($1, 'Rita'), ($2, 'Mona')",
        [REVIEWER, MANAGER],
      );
      await grantRoleDirectly(database.ownerUrl, {
        email: ADMIN,
        role: 'preparer',
        entityCode: 'ORG',
      });
      await grantRoleDirectly(database.ownerUrl, {
        email: REVIEWER,
        role: 'reviewer',
        entityCode: 'ORG',
      });
      await grantRoleDirectly(database.ownerUrl, {
        email: MANAGER,
        role: 'management',
        entityCode: 'ORG',
      });

      const file = path.join(workDir, 'payments.csv');
      writeFileSync(file, duplicatePaymentsCsv(['V1', 'V2', 'V3']));
      expect(
        (await run(['datasets', 'import', file, '--entity', 'ORG', '--name', 'Payments'])).code,
      ).toBe(0);
      const ran = await run([
        'tests',
        'run',
        'duplicate-payments-exact',
        '--entity',
        'ORG',
        '--input',
        'payments=Payments',
        '--wait',
        '--json',
      ]);
      expect(ran.code, ran.stderr).toBe(0);
      const ids = await owner.query<{ id: string }>(
        'SELECT id FROM exceptions ORDER BY key_values->>0',
      );
      exceptionIds = ids.rows.map((row) => row.id);
    } finally {
      await owner.end();
    }
  }, 60_000);

  afterAll(async () => {
    await database?.drop();
  });

  const json = (output: { stdout: string }) => JSON.parse(output.stdout) as Record<string, unknown>;

  it('takes an exception from open to closed', async () => {
    const [id = ''] = exceptionIds;

    const assigned = await run(['exceptions', 'assign', id, '--to', ADMIN, '--json'], REVIEWER);
    const proposed = await run([
      'exceptions',
      'propose',
      id,
      '--disposition',
      'false_positive',
      '--rationale',
      'Instalments under one invoice number.',
      '--json',
    ]);
    const approved = await run(
      ['exceptions', 'approve', id, '--comment', 'Agreed.', '--json'],
      REVIEWER,
    );
    const shown = await run(['exceptions', 'show', id, '--json']);

    expect(assigned.code, assigned.stderr).toBe(0);
    expect(json(assigned).updated).toEqual([
      expect.objectContaining({ id, status: 'in_progress' }),
    ]);
    expect(json(proposed).updated).toEqual([expect.objectContaining({ status: 'proposed' })]);
    expect(json(approved).updated).toEqual([expect.objectContaining({ status: 'closed' })]);
    const stale = await run(['exceptions', 'approve', id, '--revision', '1'], REVIEWER);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('not 1');
    expect(json(shown)).toMatchObject({
      status: 'closed',
      disposition: 'false_positive',
      reviewedBy: REVIEWER,
    });
  });

  it('assigns several at once and returns a proposal', async () => {
    const [, second = '', third = ''] = exceptionIds;

    const assigned = await run(
      ['exceptions', 'assign', second, third, '--to', ADMIN, '--json'],
      REVIEWER,
    );
    await run([
      'exceptions',
      'propose',
      second,
      '--disposition',
      'risk_accepted',
      '--rationale',
      'Below materiality.',
    ]);
    const withoutComment = await run(['exceptions', 'return', second], REVIEWER);
    const returned = await run(
      ['exceptions', 'return', second, '--comment', 'Remediate it.'],
      REVIEWER,
    );

    expect(json(assigned).updated).toHaveLength(2);
    expect(withoutComment.code).toBe(2);
    expect(withoutComment.stderr).toContain('--comment');
    expect(returned.code, returned.stderr).toBe(0);
    expect(returned.stdout).toContain(`${second}  in_progress`);
  });

  it('refuses decisions the user may not take', async () => {
    const [, , third = ''] = exceptionIds;
    await run([
      'exceptions',
      'propose',
      third,
      '--disposition',
      'remediated',
      '--rationale',
      'Refunded.',
    ]);

    // The administrator is also a preparer here, but not a reviewer, so the route rejects the request first.
    const own = await run(['exceptions', 'approve', third]);
    const byManager = await run(['exceptions', 'accept-risk', third], MANAGER);

    expect(own.code).toBe(1);
    expect(own.stderr).toContain('exceptions.review');
    expect(byManager.code).toBe(1);
    expect(byManager.stderr).toContain('only a risk acceptance that a reviewer has approved');
  });

  it('shows every comment version', async () => {
    const [id = ''] = exceptionIds;
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    await owner
      .query(
        `INSERT INTO exception_comments (id, exception_id, entity_id, thread_id, version, body, author_id)
         SELECT t.id, e.id, e.entity_id, t.id, 1, 'Asked the vendor.', u.id
           FROM exceptions AS e, users AS u, (SELECT gen_random_uuid() AS id) AS t
          WHERE e.id = $1 AND u.email = $2`,
        [id, ADMIN],
      )
      .finally(() => owner.end());

    const shown = await run(['exceptions', 'show', id]);

    expect(shown.stdout).toContain(`${ADMIN}, version 1 of`);
    expect(shown.stdout).toContain('"Asked the vendor."');
  });

  it('rejects an unknown disposition before connecting', async () => {
    const result = await run([
      'exceptions',
      'propose',
      exceptionIds[0] ?? '',
      '--disposition',
      'ignored',
      '--rationale',
      'x',
    ]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ignored');
  });
});
