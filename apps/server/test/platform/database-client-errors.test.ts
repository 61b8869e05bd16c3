import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/database.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

describe('database client errors', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('survives a checked-out connection that the server ends', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    );
    // idle_in_transaction_session_timeout is twice the statement timeout: 300 ms.
    const handle = openDatabase({
      url: database.ownerUrl,
      poolMax: 2,
      statementTimeoutMs: 150,
      applicationName: 'peytonix-test',
      logger,
    });
    try {
      const client = await handle.pool.connect();
      await client.query('BEGIN');
      await new Promise((resolve) => setTimeout(resolve, 1_000));

      const failed = await client.query('SELECT 1').then(
        () => 'answered',
        (error: Error) => error.message,
      );
      client.release(true);
      const fresh = await handle.db.selectNoFrom((eb) => eb.val(1).as('one')).executeTakeFirst();

      expect(failed).not.toBe('answered');
      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'database connection in use failed', code: '25P03' }),
      );
      expect(Number(fresh?.one)).toBe(1);
    } finally {
      await handle.close();
    }
  });
});
