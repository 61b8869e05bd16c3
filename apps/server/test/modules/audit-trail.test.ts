import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuditEventInput,
  appendAuditEvent,
} from '../../src/modules/audit-trail/audit-trail.service.ts';
import { createIdentityService } from '../../src/modules/identity/identity.service.ts';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { AppError } from '../../src/platform/http/app-error.ts';
import { migrateDatabase } from '../../src/runtime.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const logger = pino({ level: 'silent' });

const CONCURRENT_WRITERS = 20;

const systemEvent: AuditEventInput = {
  actor: { type: 'system', channel: 'worker' },
  action: 'user.created',
  outcome: 'success',
};

async function query(url: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/** Seal pending events, as every reader of the trail does first. */
async function seal(url: string) {
  await query(url, 'SELECT audit_seal_pending(1000)');
}

async function latestDetails(url: string) {
  await seal(url);
  const result = await query(url, 'SELECT details FROM audit_events ORDER BY seq DESC LIMIT 1');
  return result.rows[0]?.details;
}

async function lastSeq(url: string): Promise<number> {
  await seal(url);
  const result = await query(url, 'SELECT last_seq::int AS last_seq FROM audit_chain_head');
  return result.rows[0]?.last_seq as number;
}

describe('audit trail', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateDatabase(database.ownerUrl, logger);
    handle = openDatabase({
      url: database.appUrl,
      poolMax: CONCURRENT_WRITERS,
      statementTimeoutMs: 10_000,
      applicationName: 'peytonix-test',
      logger,
    });
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  it('numbers concurrent appends without gaps', async () => {
    const before = await lastSeq(database.ownerUrl);

    // Each writer holds the chain-head lock briefly after appending, so the
    // others queue on it instead of running one after another by chance.
    await Promise.all(
      Array.from({ length: CONCURRENT_WRITERS }, () =>
        handle.db.transaction().execute(async (tx) => {
          await appendAuditEvent(tx, systemEvent);
          await sql`SELECT pg_sleep(0.01)`.execute(tx);
        }),
      ),
    );

    const expected = Array.from({ length: CONCURRENT_WRITERS }, (_, index) => before + index + 1);
    await seal(database.ownerUrl);
    const stored = await query(
      database.ownerUrl,
      'SELECT seq::int AS seq FROM audit_events WHERE seq > $1 ORDER BY seq',
      [before],
    );
    expect(stored.rows.map((row) => row.seq)).toEqual(expected);
    expect(await lastSeq(database.ownerUrl)).toBe(before + CONCURRENT_WRITERS);
  });

  it('rollback gives the number back', async () => {
    const before = await lastSeq(database.ownerUrl);

    const rolledBack = handle.db.transaction().execute(async (tx) => {
      await appendAuditEvent(tx, { ...systemEvent, details: { attempt: 'rolled back' } });
      throw new Error('roll back the append');
    });
    await expect(rolledBack).rejects.toThrow('roll back the append');
    await handle.db
      .transaction()
      .execute((tx) => appendAuditEvent(tx, { ...systemEvent, details: { attempt: 'kept' } }));

    expect(await lastSeq(database.ownerUrl)).toBe(before + 1);
    const stored = await query(
      database.ownerUrl,
      'SELECT details FROM audit_events WHERE seq = $1',
      [before + 1],
    );
    expect(stored.rows).toEqual([{ details: { attempt: 'kept' } }]);
  });

  it('redacts secret-looking detail keys', async () => {
    await handle.db.transaction().execute((tx) =>
      appendAuditEvent(tx, {
        ...systemEvent,
        details: {
          password: 'hunter2',
          token: 'tok-123',
          apiKey: 'key-456',
          signingKey: 'key-999',
          testKey: 'duplicate-payments',
          keyColumns: ['vendor_id', 'invoice'],
          email: 'ana@example.com',
          nested: {
            clientSecret: 'shh-789',
            headers: [{ Authorization: 'Bearer abc' }, { accept: 'text/plain' }],
          },
        },
      }),
    );

    const details = await latestDetails(database.ownerUrl);
    expect(details.password).toBe('[REDACTED]');
    expect(details.token).toBe('[REDACTED]');
    expect(details.apiKey).toBe('[REDACTED]');
    expect(details.signingKey).toBe('[REDACTED]');
    expect(details.testKey).toBe('duplicate-payments');
    expect(details.keyColumns).toEqual(['vendor_id', 'invoice']);
    expect(details.nested.clientSecret).toBe('[REDACTED]');
    expect(details.nested.headers).toEqual([
      { Authorization: '[REDACTED]' },
      { accept: 'text/plain' },
    ]);
    expect(details.email).toBe('ana@example.com');
    expect(JSON.stringify(details)).not.toMatch(/hunter2|tok-123|key-456|shh-789|Bearer/);
  });

  it('keeps ids under secret-looking keys', async () => {
    await handle.db.transaction().execute((tx) =>
      appendAuditEvent(tx, {
        ...systemEvent,
        details: {
          setupSecretId: '4f9c2a53-2d6e-4d8b-9a40-6b1f0c7e8d21',
          api_key_id: 'key-record-7',
          tokenIds: ['t-1', 't-2'],
        },
      }),
    );

    const details = await latestDetails(database.ownerUrl);
    expect(details.setupSecretId).toBe('4f9c2a53-2d6e-4d8b-9a40-6b1f0c7e8d21');
    expect(details.api_key_id).toBe('key-record-7');
    expect(details.tokenIds).toEqual(['t-1', 't-2']);
  });

  it('stores dates in details as ISO strings', async () => {
    await handle.db.transaction().execute((tx) =>
      appendAuditEvent(tx, {
        ...systemEvent,
        details: { expiresAt: new Date('2030-01-02T03:04:05.000Z') },
      }),
    );

    const details = await latestDetails(database.ownerUrl);
    expect(details).toEqual({ expiresAt: '2030-01-02T03:04:05.000Z' });
  });

  it('application role cannot rewrite the chain head', async () => {
    await expect(query(database.appUrl, 'DELETE FROM audit_chain_head')).rejects.toMatchObject({
      code: '42501',
    });
    await expect(
      query(database.appUrl, 'UPDATE audit_chain_head SET singleton = true'),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      query(database.appUrl, 'INSERT INTO audit_chain_head (singleton, last_seq) VALUES (true, 0)'),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      query(database.appUrl, 'UPDATE audit_chain_head SET last_seq = last_seq + 5'),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      query(database.appUrl, 'UPDATE audit_chain_head SET last_seq = 0'),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(query(database.ownerUrl, 'TRUNCATE audit_chain_head')).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('concurrent first administrators: one wins', async () => {
    const identity = createIdentityService({ db: handle.db });
    const organization = { organizationName: 'Example Group', organizationCode: 'ORG' };

    const results = await Promise.allSettled([
      identity.createFirstAdministrator({
        email: 'ada@example.com',
        displayName: 'Ada',
        ...organization,
      }),
      identity.createFirstAdministrator({
        email: 'bob@example.com',
        displayName: 'Bob',
        ...organization,
      }),
    ]);

    const winners = results.flatMap((result) =>
      result.status === 'fulfilled' ? [result.value] : [],
    );
    const errors = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason] : [],
    );
    expect(winners).toHaveLength(1);
    expect(errors).toHaveLength(1);
    const error: unknown = errors[0];
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CONFLICT');
    const administrators = await query(
      database.ownerUrl,
      "SELECT user_id FROM role_grants WHERE role = 'administrator'",
    );
    expect(administrators.rows).toEqual([{ user_id: winners[0]?.userId }]);
    const users = await query(database.ownerUrl, 'SELECT count(*)::int AS count FROM users');
    expect(users.rows).toEqual([{ count: 1 }]);
  });

  // Uses the administrator that the test above created.
  it('setup secret event names the secret row', async () => {
    const secrets = await query(database.ownerUrl, 'SELECT id FROM user_setup_secrets');
    expect(secrets.rowCount).toBe(1);

    await seal(database.ownerUrl);
    const events = await query(
      database.ownerUrl,
      "SELECT details FROM audit_events WHERE action = 'identity.setup_secret_issued'",
    );
    expect(events.rows).toEqual([{ details: { setupSecretId: secrets.rows[0]?.id } }]);
  });
});
