// Benchmark: the cost of row-level security. The same reads and writes run
// twice in this run on the same data: as the superuser with the scope
// written into the query by hand (the baseline, which bypasses row-level
// security), and as peytonix_app with only the transaction-local actor
// setting, so the policies add the scope. Prints median times and the
// ratio of each pair.
//
// Data: 2,000 entities (fan-out 6), 200 tests and 200,000 exceptions
// spread over the engagements; the actor holds one grant on a business
// unit two levels below the root.
//
// Run: npm run row-security -w @peytonix/bench -- [exceptions=200000]
// Uses BENCH_DATABASE_URL (a superuser URL), else postgres://postgres@127.0.0.1:5432/postgres.
// The app role connects without a password, so PostgreSQL must trust it on
// loopback, as the machine's test server does.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { migrateDatabase } from '../apps/server/src/runtime.ts';

const exceptionCount = Number(process.argv[2] ?? 200_000);
const ENTITY_COUNT = 2_000;
const TEST_COUNT = 200;
const INSERT_ROWS = 5_000;
const RUNS = 31;

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `peytonix_bench_${randomBytes(4).toString('hex')}`;

function databaseUrl(database: string, user?: string) {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  if (user !== undefined) {
    url.username = user;
    url.password = '';
  }
  return url.toString();
}

async function median(work: () => Promise<unknown>, runs = RUNS): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

/** Run `text` in a transaction scoped to `actor`, as the application role does. */
async function scoped(client: pg.Client, actor: string, text: string, values: unknown[] = []) {
  await client.query('BEGIN');
  try {
    await client.query("SELECT set_config('peytonix.actor_user_id', $1, true)", [actor]);
    return await client.query(text, values);
  } finally {
    await client.query('ROLLBACK');
  }
}

async function unscoped(client: pg.Client, text: string, values: unknown[] = []) {
  await client.query('BEGIN');
  try {
    return await client.query(text, values);
  } finally {
    await client.query('ROLLBACK');
  }
}

async function seed(owner: pg.Client) {
  const user = await owner.query<{ id: string }>(
    "INSERT INTO users (email, display_name) VALUES ('bench@example.com', 'Bench') RETURNING id",
  );
  const userId = user.rows[0]?.id ?? '';

  const ids = Array.from({ length: ENTITY_COUNT }, () => randomUUID());
  for (let first = 0; first < ENTITY_COUNT; first += 500) {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let index = first; index < Math.min(first + 500, ENTITY_COUNT); index += 1) {
      const parent = index === 0 ? null : ids[Math.floor((index - 1) / 6)];
      let type = index > 43 ? 'engagement' : 'business_unit';
      if (index === 0) type = 'organization';
      const offset = values.length;
      values.push(ids[index], parent, type, `E${index}`);
      rows.push(
        `($${offset + 1}::uuid, $${offset + 2}::uuid, $${offset + 3}, $${offset + 4}, $${offset + 4})`,
      );
    }
    await owner.query(
      `INSERT INTO entities (id, parent_id, type, code, name) VALUES ${rows.join(', ')}`,
      values,
    );
  }
  // Entity 7 is a business unit two levels below the root.
  const grantEntity = ids[7] ?? '';
  await owner.query(
    "INSERT INTO role_grants (user_id, role, entity_id) VALUES ($1, 'preparer', $2)",
    [userId, grantEntity],
  );

  const engagements = ids.slice(44);
  const tests: { id: string; entityId: string; runId: string }[] = [];
  for (let index = 0; index < TEST_COUNT; index += 1) {
    const entityId = engagements[(index * 7) % engagements.length] ?? '';
    const test = await owner.query<{ id: string }>(
      "INSERT INTO test_definitions (entity_id, key, owner_id) VALUES ($1, 'bench', $2) RETURNING id",
      [entityId, userId],
    );
    const testId = test.rows[0]?.id ?? '';
    const version = await owner.query<{ id: string }>(
      `INSERT INTO test_versions (test_id, version, state, name, severity, sql, inputs, parameters, key_columns, created_by)
       VALUES ($1, 1, 'active', 'Bench', 'low', 'SELECT 1 AS k', '[]', '[]', '{k}', $2) RETURNING id`,
      [testId, userId],
    );
    const run = await owner.query<{ id: string }>(
      `INSERT INTO runs (test_id, test_version_id, preview, run_number, status, requested_by, requested_via, sql_executed, parameters, inputs, key_columns)
       VALUES ($1, $2, false, 1, 'succeeded', $3, 'api', 'SELECT 1 AS k', '[]', '[]', '{k}') RETURNING id`,
      [testId, version.rows[0]?.id, userId],
    );
    tests.push({ id: testId, entityId, runId: run.rows[0]?.id ?? '' });
  }

  await owner.query(
    `INSERT INTO exceptions (test_id, entity_id, key_hash, key_values, status, payload, first_run_id, last_run_id, severity)
     SELECT t.id, t.entity_id, sha256(n::text::bytea), jsonb_build_array(n), 'open',
            jsonb_build_object('n', n, 'amount', n * 3), t.run_id, t.run_id, 'medium'
     FROM generate_series(1, $1::int) AS n
     JOIN unnest($2::uuid[], $3::uuid[], $4::uuid[]) WITH ORDINALITY AS t (id, entity_id, run_id, i)
       ON t.i = 1 + (n % $5::int)`,
    [
      exceptionCount,
      tests.map((test) => test.id),
      tests.map((test) => test.entityId),
      tests.map((test) => test.runId),
      TEST_COUNT,
    ],
  );
  await owner.query('ANALYZE');

  const subtree = await owner.query<{ id: string }>(
    'SELECT descendant_id AS id FROM entity_closure WHERE ancestor_id = $1',
    [grantEntity],
  );
  const inScope = new Set(subtree.rows.map((row) => row.id));
  const scopedTest = tests.find((test) => inScope.has(test.entityId));
  if (scopedTest === undefined) throw new Error('no test fell into the granted subtree');
  return { userId, grantEntity, scopedTest, subtreeSize: inScope.size };
}

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
try {
  await migrateDatabase(databaseUrl(name), pino({ level: 'silent' }));
  const owner = new pg.Client({ connectionString: databaseUrl(name) });
  const app = new pg.Client({ connectionString: databaseUrl(name, 'peytonix_app') });
  await owner.connect();
  await app.connect();
  const { userId, grantEntity, scopedTest, subtreeSize } = await seed(owner);

  const byHand = 'SELECT descendant_id FROM entity_closure WHERE ancestor_id = $1';
  const cases: {
    label: string;
    baseline: () => Promise<unknown>;
    secured: () => Promise<unknown>;
  }[] = [
    {
      label: 'open exceptions of one test (by test_id)',
      baseline: () =>
        unscoped(
          owner,
          `SELECT id, payload FROM exceptions WHERE test_id = $1 AND status = 'open'
           AND entity_id IN (${byHand.replace('$1', '$2')})`,
          [scopedTest.id, grantEntity],
        ),
      secured: () =>
        scoped(
          app,
          userId,
          "SELECT id, payload FROM exceptions WHERE test_id = $1 AND status = 'open'",
          [scopedTest.id],
        ),
    },
    {
      label: 'count of exceptions in scope',
      baseline: () =>
        unscoped(owner, `SELECT count(*) FROM exceptions WHERE entity_id IN (${byHand})`, [
          grantEntity,
        ]),
      secured: () => scoped(app, userId, 'SELECT count(*) FROM exceptions'),
    },
    {
      label: 'runs with their tests in scope',
      baseline: () =>
        unscoped(
          owner,
          `SELECT r.id, t.key FROM runs r JOIN test_definitions t ON t.id = r.test_id
           WHERE t.entity_id IN (${byHand})`,
          [grantEntity],
        ),
      secured: () =>
        scoped(
          app,
          userId,
          'SELECT r.id, t.key FROM runs r JOIN test_definitions t ON t.id = r.test_id',
        ),
    },
    {
      label: `insert ${INSERT_ROWS} preview rows of one run`,
      baseline: () =>
        unscoped(
          owner,
          `INSERT INTO preview_rows (run_id, row_number, payload)
           SELECT $1, n, jsonb_build_object('n', n) FROM generate_series(1, ${INSERT_ROWS}) AS n`,
          [scopedTest.runId],
        ),
      secured: () =>
        scoped(
          app,
          userId,
          `INSERT INTO preview_rows (run_id, row_number, payload)
           SELECT $1, n, jsonb_build_object('n', n) FROM generate_series(1, ${INSERT_ROWS}) AS n`,
          [scopedTest.runId],
        ),
    },
  ];

  console.log(
    `entities: ${ENTITY_COUNT} (${subtreeSize} in the actor's subtree), exceptions: ${exceptionCount}, median of ${RUNS} runs`,
  );
  for (const benchCase of cases) {
    // Both sides return the same rows; a mismatch would make the timing meaningless.
    const expected = ((await benchCase.baseline()) as pg.QueryResult).rowCount;
    const actual = ((await benchCase.secured()) as pg.QueryResult).rowCount;
    if (expected !== actual) {
      throw new Error(`${benchCase.label}: baseline returned ${expected} rows, secured ${actual}`);
    }
    const baseline = await median(benchCase.baseline);
    const secured = await median(benchCase.secured);
    console.log(`${benchCase.label}: ${actual} rows`);
    console.log(
      `  scope written by hand, no row-level security (baseline): ${baseline.toFixed(2)} ms`,
    );
    console.log(`  row-level security only: ${secured.toFixed(2)} ms`);
    console.log(`  ratio secured / baseline: ${(secured / baseline).toFixed(2)}`);
  }
  await app.end();
  await owner.end();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
