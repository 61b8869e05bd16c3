import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../src/runtime.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

async function query(url: string, text: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

describe('application role', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateDatabase(database.ownerUrl, pino({ level: 'silent' }));
  });
  afterAll(async () => {
    await database.drop();
  });

  const ddl: [string, string][] = [
    ['create a table', 'CREATE TABLE intruder (id int)'],
    ['create a table in the job schema', 'CREATE TABLE pgboss.intruder (id int)'],
    ['create a temporary table', 'CREATE TEMP TABLE intruder (id int)'],
    ['create a schema', 'CREATE SCHEMA intruder'],
    ['create a function', 'CREATE FUNCTION intruder() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$'],
    ['alter a table', 'ALTER TABLE entities ADD COLUMN intruder int'],
    ['disable a trigger', 'ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete'],
    ['drop a table', 'DROP TABLE entities'],
    ['drop the job table', 'DROP TABLE pgboss.job'],
    ['truncate a table', 'TRUNCATE entities'],
    [
      'write the closure table',
      'INSERT INTO entity_closure VALUES (gen_random_uuid(), gen_random_uuid(), 0)',
    ],
    ['delete entities', 'DELETE FROM entities'],
    ['rewrite a checkpoint', "UPDATE audit_checkpoints SET key_id = 'forged'"],
    ['delete checkpoints', 'DELETE FROM audit_checkpoints'],
    ['truncate checkpoints', 'TRUNCATE audit_checkpoints'],
    ['replace a wrapped key', "UPDATE wrapped_keys SET public_key_pem = 'forged'"],
    ['delete wrapped keys', 'DELETE FROM wrapped_keys'],
    [
      'write an event directly',
      "INSERT INTO audit_events (seq, occurred_at, actor_type, channel, action, outcome, details_jcs, prev_hash, hash) VALUES (1, now(), 'system', 'cli', 'user.created', 'success', '{}', sha256(''), sha256('x'))",
    ],
    ['read pending events', 'SELECT * FROM audit_pending'],
    [
      'backdate a pending event',
      "INSERT INTO audit_pending (occurred_at, actor_type, channel, action, outcome, details_jcs) VALUES ('2019-01-01', 'system', 'cli', 'user.created', 'success', '{}')",
    ],
    [
      'choose a pending id',
      "INSERT INTO audit_pending (id, actor_type, channel, action, outcome, details_jcs) OVERRIDING SYSTEM VALUE VALUES (1, 'system', 'cli', 'user.created', 'success', '{}')",
    ],
    ['delete pending events', 'DELETE FROM audit_pending'],
    ['rewind the chain head', 'UPDATE audit_chain_head SET last_seq = 0, last_hash = last_hash'],
  ];
  for (const [action, statement] of ddl) {
    it(`cannot ${action}`, async () => {
      await expect(query(database.appUrl, statement)).rejects.toMatchObject({
        code: expect.stringMatching(/^(42501|42P01)$/),
      });
    });
  }

  it('cannot stage an event the sealer could not store', async () => {
    const rows = [
      "('system', 'cli', 'NOT VALID', 'success', '{}', NULL)",
      "('system', 'cli', 'user.created', 'success', '{}', 'fe80::1%eth0')",
      "('system', 'cli', 'user.created', 'success', '[1]', NULL)",
      "('user', 'cli', 'user.created', 'success', '{}', NULL)",
      `('system', 'cli', 'user.created', 'success', E'{"a":\\n1}', NULL)`,
    ];
    for (const row of rows) {
      await expect(
        query(
          database.appUrl,
          `INSERT INTO audit_pending (actor_type, channel, action, outcome, details_jcs, ip_address) VALUES ${row}`,
        ),
        row,
      ).rejects.toMatchObject({ code: expect.stringMatching(/^(23514|22P02|22023)$/) });
    }
  });

  it('creates the root only through the bootstrap function, and reads it in scope', async () => {
    await expect(
      query(
        database.appUrl,
        "INSERT INTO entities (type, code, name) VALUES ('organization', 'ORG', 'Org')",
      ),
    ).rejects.toMatchObject({ code: '42501' });

    const client = new pg.Client({ connectionString: database.appUrl });
    await client.connect();
    try {
      const user = await client.query<{ id: string }>(
        "INSERT INTO users (email, display_name) VALUES ('root@example.com', 'Root') RETURNING id",
      );
      const userId = user.rows[0]?.id ?? '';
      await client.query("SELECT * FROM peytonix_bootstrap_administrator($1, 'ORG', 'Org')", [
        userId,
      ]);
      await expect(
        client.query("SELECT * FROM peytonix_bootstrap_administrator($1, 'ORG', 'Org')", [userId]),
      ).rejects.toMatchObject({ code: '23505' });

      const unscoped = await client.query('SELECT count(*)::int AS n FROM entity_closure');
      expect(unscoped.rows[0]).toEqual({ n: 0 });

      await client.query('BEGIN');
      await client.query("SELECT set_config('peytonix.actor_user_id', $1, true)", [userId]);
      const scoped = await client.query('SELECT count(*)::int AS n FROM entity_closure');
      await client.query('COMMIT');
      expect(scoped.rows[0]).toEqual({ n: 1 });
    } finally {
      await client.end();
    }
  });

  for (const [who, url] of [
    ['application role', () => database.appUrl],
    ['owner', () => database.ownerUrl],
  ] as const) {
    it(`audit events reject UPDATE, DELETE and TRUNCATE for the ${who}`, async () => {
      await query(
        database.ownerUrl,
        "INSERT INTO audit_events (seq, occurred_at, actor_type, channel, action, outcome, details_jcs, prev_hash, hash) VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM audit_events), now(), 'system', 'cli', 'user.created', 'success', '{}', sha256(''), sha256(gen_random_uuid()::text::bytea))",
      );

      await expect(
        query(url(), "UPDATE audit_events SET outcome = 'failure'"),
      ).rejects.toMatchObject({
        code: '42501',
      });
      await expect(query(url(), 'DELETE FROM audit_events')).rejects.toMatchObject({
        code: '42501',
      });
      await expect(query(url(), 'TRUNCATE audit_events')).rejects.toMatchObject({ code: '42501' });
    });
  }
});
