import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../src/runtime.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

/**
 * Row-level security, checked with raw SQL as the application role: a
 * query that forgets its scope filter still returns only the acting user's
 * subtrees. The fixtures are written as the owner (a superuser here), one
 * full set of rows in each of two sibling business units.
 */

const SCOPED_TABLES = [
  'entities',
  'entity_closure',
  'role_grants',
  'datasets',
  'dataset_versions',
  'test_definitions',
  'test_versions',
  'runs',
  'exceptions',
  'run_exceptions',
  'preview_rows',
  'change_requests',
] as const;

/** SQL that gives, for each row of the table, the entity that scopes it. */
const ENTITY_OF: Record<(typeof SCOPED_TABLES)[number], string> = {
  entities: 'SELECT id AS entity_id FROM entities',
  entity_closure: 'SELECT descendant_id AS entity_id FROM entity_closure',
  role_grants: 'SELECT entity_id FROM role_grants',
  datasets: 'SELECT entity_id FROM datasets',
  dataset_versions:
    'SELECT d.entity_id FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id',
  test_definitions: 'SELECT entity_id FROM test_definitions',
  test_versions:
    'SELECT t.entity_id FROM test_versions v JOIN test_definitions t ON t.id = v.test_id',
  runs: 'SELECT t.entity_id FROM runs r JOIN test_definitions t ON t.id = r.test_id',
  exceptions: 'SELECT entity_id FROM exceptions',
  run_exceptions:
    'SELECT t.entity_id FROM run_exceptions x JOIN runs r ON r.id = x.run_id JOIN test_definitions t ON t.id = r.test_id',
  preview_rows:
    'SELECT t.entity_id FROM preview_rows p JOIN runs r ON r.id = p.run_id JOIN test_definitions t ON t.id = r.test_id',
  change_requests: 'SELECT entity_id FROM change_requests',
};

async function connect(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** Write one of everything scoped below the entity `code`, as `userId`. */
async function seedUnit(owner: pg.Client, code: string, userId: string) {
  const entity = await owner.query<{ id: string }>(
    `INSERT INTO entities (parent_id, type, code, name)
     VALUES ((SELECT id FROM entities WHERE parent_id IS NULL), 'business_unit', $1, $1)
     RETURNING id`,
    [code],
  );
  const entityId = entity.rows[0]?.id;
  const child = await owner.query<{ id: string }>(
    `INSERT INTO entities (parent_id, type, code, name) VALUES ($1, 'engagement', $2, $2) RETURNING id`,
    [entityId, `${code}-ENG`],
  );
  const engagementId = child.rows[0]?.id;

  const dataset = await owner.query<{ id: string }>(
    `INSERT INTO datasets (entity_id, name, created_by) VALUES ($1, 'Payments', $2) RETURNING id`,
    [engagementId, userId],
  );
  await owner.query(
    `INSERT INTO dataset_versions (dataset_id, version, source_file_name, source_format,
       parse_options, raw_object_key, raw_sha256, raw_size, parquet_object_key, parquet_sha256,
       parquet_size, columns, row_count, created_by)
     VALUES ($1, 1, 'payments.csv', 'csv', '{}', 'raw', sha256('r'), 1, 'pq', sha256('p'), 1,
       '[]', 0, $2)`,
    [dataset.rows[0]?.id, userId],
  );
  const test = await owner.query<{ id: string }>(
    `INSERT INTO test_definitions (entity_id, key, owner_id) VALUES ($1, 'dupes', $2) RETURNING id`,
    [engagementId, userId],
  );
  const testId = test.rows[0]?.id;
  const version = await owner.query<{ id: string }>(
    `INSERT INTO test_versions (test_id, version, state, name, severity, sql, inputs, parameters,
       key_columns, created_by)
     VALUES ($1, 1, 'active', 'Dupes', 'high', 'SELECT 1 AS k', '[]', '[]', '{k}', $2)
     RETURNING id`,
    [testId, userId],
  );
  const runValues = `($1, $2, $3, $4, 'succeeded', $5, 'api', 'SELECT 1 AS k', '[]', '[]', '{k}')`;
  const runColumns =
    '(test_id, test_version_id, preview, run_number, status, requested_by, requested_via, sql_executed, parameters, inputs, key_columns)';
  const run = await owner.query<{ id: string }>(
    `INSERT INTO runs ${runColumns} VALUES ${runValues} RETURNING id`,
    [testId, version.rows[0]?.id, false, 1, userId],
  );
  const preview = await owner.query<{ id: string }>(
    `INSERT INTO runs ${runColumns} VALUES ${runValues} RETURNING id`,
    [testId, version.rows[0]?.id, true, null, userId],
  );
  const exception = await owner.query<{ id: string }>(
    `INSERT INTO exceptions (test_id, entity_id, key_hash, key_values, status, payload,
       first_run_id, last_run_id, severity)
     VALUES ($1, $2, sha256($3::bytea), '[1]', 'open', '{"k":1}', $4, $4, 'high') RETURNING id`,
    [testId, engagementId, code, run.rows[0]?.id],
  );
  await owner.query(
    `INSERT INTO run_exceptions (run_id, exception_id, occurrence, payload)
     VALUES ($1, $2, 'new', '{"k":1}')`,
    [run.rows[0]?.id, exception.rows[0]?.id],
  );
  await owner.query(
    `INSERT INTO preview_rows (run_id, row_number, payload) VALUES ($1, 1, '{"k":1}')`,
    [preview.rows[0]?.id],
  );
  await owner.query(
    `INSERT INTO change_requests (kind, entity_id, target_type, target_key, before_state,
       after_state, diff_sha256, justification, requested_by, requested_by_type, expires_at)
     VALUES ('entity.move', $1, 'entity', $2, '{}', '{}', sha256('d'), 'fixture', $3, 'user',
       now() + interval '1 day')`,
    [engagementId, `entity:${code}`, userId],
  );
  return { entityId: entityId ?? '', engagementId: engagementId ?? '' };
}

describe('row-level security as the application role', () => {
  let database: TestDatabase;
  let owner: pg.Client;
  let app: pg.Client;
  let alice: string;
  let bob: string;
  const subtrees: Record<string, string[]> = {};

  /** Run `text` as the application role with `userId` as the acting user. */
  const asActor = async (userId: string | null, text: string) => {
    await app.query('BEGIN');
    try {
      if (userId !== null) {
        await app.query("SELECT set_config('peytonix.actor_user_id', $1, true)", [userId]);
      }
      return await app.query(text);
    } finally {
      await app.query('ROLLBACK');
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateDatabase(database.ownerUrl, pino({ level: 'silent' }));
    owner = await connect(database.ownerUrl);
    app = await connect(database.appUrl);

    const users = await owner.query<{ id: string }>(
      `INSERT INTO users (email, display_name) VALUES ('alice@example.com', 'Alice'),
       ('bob@example.com', 'Bob') RETURNING id`,
    );
    alice = users.rows[0]?.id ?? '';
    bob = users.rows[1]?.id ?? '';
    await owner.query(
      "INSERT INTO entities (type, code, name) VALUES ('organization', 'ORG', 'Example Group')",
    );
    const north = await seedUnit(owner, 'NORTH', alice);
    const south = await seedUnit(owner, 'SOUTH', bob);
    await owner.query(
      `INSERT INTO role_grants (user_id, role, entity_id) VALUES ($1, 'read_only', $2),
       ($3, 'management', $4)`,
      [alice, north.entityId, bob, south.entityId],
    );
    subtrees[alice] = [north.entityId, north.engagementId];
    subtrees[bob] = [south.entityId, south.engagementId];
  });
  afterAll(async () => {
    await app?.end();
    await owner?.end();
    await database?.drop();
  });

  it('forces row-level security on every entity-scoped table', async () => {
    const result = await owner.query<{ relname: string; on: boolean; forced: boolean }>(
      `SELECT relname, relrowsecurity AS on, relforcerowsecurity AS forced
       FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1)`,
      [SCOPED_TABLES],
    );

    expect(result.rows).toHaveLength(SCOPED_TABLES.length);
    for (const row of result.rows)
      expect(row, row.relname).toMatchObject({ on: true, forced: true });
  });

  it('forces it on every table that has an entity_id column', async () => {
    const result = await owner.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'entity_id' AND NOT a.attisdropped
       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
         AND NOT c.relforcerowsecurity
         -- The trail is append-only and hash-chained; its reads are scoped by the service.
         AND c.relname NOT IN ('audit_events', 'audit_pending')`,
    );

    expect(result.rows).toEqual([]);
  });

  it('shows each actor only the rows of its own subtrees', async () => {
    for (const actor of [alice, bob]) {
      const allowed = subtrees[actor] ?? [];
      for (const table of SCOPED_TABLES) {
        const visible = await asActor(actor, `SELECT count(*)::int AS n FROM ${table}`);
        const entities = await asActor(actor, ENTITY_OF[table]);
        const outside = entities.rows.filter(
          (row: { entity_id: string }) => !allowed.includes(row.entity_id),
        );

        expect(visible.rows[0]?.n, `${table} for ${actor}`).toBeGreaterThan(0);
        expect(outside, `${table} rows outside the scope of ${actor}`).toEqual([]);
      }
    }
  });

  it('shows nothing without an acting user', async () => {
    for (const table of SCOPED_TABLES) {
      const visible = await asActor(null, `SELECT count(*)::int AS n FROM ${table}`);
      expect(visible.rows[0], table).toEqual({ n: 0 });
    }
  });

  it('shows nothing to unknown or malformed actors', async () => {
    for (const setting of ['00000000-0000-0000-0000-000000000000', "x' OR true --", '']) {
      const visible = await asActor(setting, 'SELECT count(*)::int AS n FROM datasets');
      expect(visible.rows[0], setting).toEqual({ n: 0 });
    }
  });

  it('keeps joins across tables inside the scope', async () => {
    const joined = await asActor(
      alice,
      `SELECT e.code FROM run_exceptions x
       JOIN exceptions ex ON ex.id = x.exception_id
       JOIN runs r ON r.id = x.run_id
       JOIN test_definitions t ON t.id = r.test_id
       JOIN entities e ON e.id = t.entity_id`,
    );

    expect(joined.rows).toEqual([{ code: 'NORTH-ENG' }]);
  });

  it('keeps a security-invoker view inside the scope', async () => {
    await owner.query(
      `CREATE VIEW scoped_exceptions WITH (security_invoker = true) AS
       SELECT e.code, ex.status FROM exceptions ex JOIN entities e ON e.id = ex.entity_id`,
    );
    await owner.query('GRANT SELECT ON scoped_exceptions TO peytonix_app');

    const rows = await asActor(bob, 'SELECT code FROM scoped_exceptions');

    expect(rows.rows).toEqual([{ code: 'SOUTH-ENG' }]);
    await owner.query('DROP VIEW scoped_exceptions');
  });

  it('ships no view that would read as its owner', async () => {
    const views = await owner.query<{ relname: string }>(
      `SELECT relname FROM pg_class
       WHERE relnamespace = 'public'::regnamespace AND relkind IN ('v', 'm')
         AND NOT coalesce('security_invoker=true' = ANY (reloptions), false)`,
    );

    expect(views.rows).toEqual([]);
  });

  it('refuses writes outside the scope', async () => {
    const southEngagement = subtrees[bob]?.[1];
    await expect(
      asActor(
        alice,
        `INSERT INTO datasets (entity_id, name, created_by) VALUES ('${southEngagement}', 'Sneaky', '${alice}')`,
      ),
    ).rejects.toMatchObject({ code: '42501' });

    const updated = await asActor(alice, "UPDATE exceptions SET status = 'open' RETURNING id");
    expect(updated.rowCount).toBe(1);
    // A read-only user may not update entities at all, so the row is not even a candidate.
    const moved = await asActor(
      alice,
      `UPDATE entities SET parent_id = '${southEngagement}' WHERE code = 'NORTH-ENG' RETURNING id`,
    );
    expect(moved.rowCount).toBe(0);
  });

  it('lets no one grant themselves a role, whatever their role', async () => {
    const north = subtrees[alice]?.[0];
    for (const role of ['read_only', 'administrator']) {
      await owner.query('DELETE FROM role_grants WHERE user_id = $1', [alice]);
      await owner.query('INSERT INTO role_grants (user_id, role, entity_id) VALUES ($1, $2, $3)', [
        alice,
        role,
        north,
      ]);

      await expect(
        asActor(
          alice,
          `INSERT INTO role_grants (user_id, role, entity_id) VALUES ('${alice}', 'reviewer', '${north}')`,
        ),
        role,
      ).rejects.toMatchObject({ code: '42501' });
    }
    await owner.query("UPDATE role_grants SET role = 'read_only' WHERE user_id = $1", [alice]);
  });

  it('lets only a reviewer or administrator record a decision, as themselves', async () => {
    const north = subtrees[alice]?.[1];
    const carol = await owner.query<{ id: string }>(
      "INSERT INTO users (email, display_name) VALUES ('carol@example.com', 'Carol') RETURNING id",
    );
    const request = await owner.query<{ id: string }>(
      `INSERT INTO change_requests (kind, entity_id, target_type, target_key, before_state,
         after_state, diff_sha256, justification, requested_by, requested_by_type, expires_at)
       VALUES ('entity.move', $1, 'entity', 'entity:carol', '{}', '{}', sha256('c'), 'fixture',
         $2, 'user', now() + interval '1 day') RETURNING id`,
      [north, carol.rows[0]?.id],
    );
    const decide = (decider: string) =>
      `UPDATE change_requests SET status = 'rejected', decided_by = '${decider}',
         decided_at = now() WHERE id = '${request.rows[0]?.id}'`;

    const failure = (error: { code?: string }) => ({ code: error.code });
    const asReader = await asActor(alice, decide(alice)).catch(failure);
    await owner.query("UPDATE role_grants SET role = 'reviewer' WHERE user_id = $1", [alice]);
    const inSomeoneElsesName = await asActor(alice, decide(bob)).catch(failure);
    const asReviewer = await asActor(alice, decide(alice));
    await owner.query("UPDATE role_grants SET role = 'read_only' WHERE user_id = $1", [alice]);

    expect(asReader).toMatchObject({ code: '42501' });
    expect(inSomeoneElsesName).toMatchObject({ code: '42501' });
    expect(asReviewer.rowCount).toBe(1);
  });

  it('follows a revoked grant on the very next statement', async () => {
    const before = await asActor(alice, 'SELECT count(*)::int AS n FROM datasets');
    await owner.query('DELETE FROM role_grants WHERE user_id = $1', [alice]);
    const after = await asActor(alice, 'SELECT count(*)::int AS n FROM datasets');

    expect(before.rows[0]).toEqual({ n: 1 });
    expect(after.rows[0]).toEqual({ n: 0 });
  });
});
