import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';

describe('peytonix admin', () => {
  let database: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    env = {
      DATABASE_URL: database.ownerUrl,
      PEYTONIX_APP_DATABASE_URL: database.appUrl,
      PEYTONIX_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'peytonix-cli-admin-')),
    };
    expect((await runCliCaptured(['admin', 'create', '--email', ADMIN], env)).code).toBe(0);
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      for (const email of ['bob@example.com', 'cy@example.com']) {
        await owner.query('INSERT INTO users (email, display_name) VALUES ($1, $1)', [email]);
      }
    } finally {
      await owner.end();
    }
  });

  afterAll(async () => {
    await database.drop();
  });

  const grant = (email: string, role: string) =>
    runCliCaptured(
      [
        'admin',
        'grant',
        '--as',
        ADMIN,
        '--email',
        email,
        '--role',
        role,
        '--entity',
        'ORG',
        '--justification',
        'Bob reviews the payables engagements.',
        '--json',
      ],
      env,
    );

  it('grants the first reviewer at once', async () => {
    const result = await grant('bob@example.com', 'reviewer');

    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ role: 'reviewer', entityCode: 'ORG' });
  });

  it('sends a grant someone could approve to change requests', async () => {
    const result = await grant('cy@example.com', 'reviewer');

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bob@example.com can approve a request for this grant');
  });

  it('rejects an unknown role', async () => {
    const result = await grant('cy@example.com', 'auditor');

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Invalid --role "auditor"');
  });
});
