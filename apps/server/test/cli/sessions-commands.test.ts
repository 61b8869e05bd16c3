import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

describe('peytonix sessions', () => {
  let database: TestDatabase;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    env = {
      DATABASE_URL: database.ownerUrl,
      PEYTONIX_APP_DATABASE_URL: database.appUrl,
      PEYTONIX_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'peytonix-cli-sessions-')),
    };
    expect((await runCliCaptured(['migrate'], env)).code).toBe(0);
  });

  afterAll(async () => {
    await database.drop();
  });

  it('rotates the signing key and audits it', async () => {
    const first = await runCliCaptured(['sessions', 'rotate-key', '--json'], env);
    const second = await runCliCaptured(['sessions', 'rotate-key', '--json'], env);

    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    const kids = [first, second].map(
      (result) => (JSON.parse(result.stdout) as { kid: string }).kid,
    );
    expect(kids[0]).not.toBe(kids[1]);
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      const keys = await owner.query<{ kid: string }>(
        'SELECT kid FROM session_signing_keys ORDER BY created_at',
      );
      expect(keys.rows.map((row) => row.kid)).toEqual(kids);
      const events = await owner.query<{ target_id: string }>(
        `SELECT target_id FROM audit_events WHERE action = 'session.signing_key_rotated' ORDER BY seq`,
      );
      expect(events.rows.map((row) => row.target_id)).toEqual(kids);
    } finally {
      await owner.end();
    }
  });

  it('refuses to rotate when the master key is gone', async () => {
    const result = await runCliCaptured(['sessions', 'rotate-key'], {
      ...env,
      PEYTONIX_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'peytonix-cli-nokey-')),
    });

    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('master.key');
  });
});
