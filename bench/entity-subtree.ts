// Benchmark: "this entity and everything below it" through entity_closure,
// against the baseline of a recursive CTE over entities.parent_id, in the
// same run on the same data. Prints the ratio of median times.
//
// Run: npm run entity-subtree -w @peytonix/bench -- [entities=20000]
// Uses BENCH_DATABASE_URL (a superuser URL), else postgres://postgres@127.0.0.1:5432/postgres.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { migrateDatabase } from '../apps/server/src/runtime.ts';

const total = Number(process.argv[2] ?? 20_000);
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `peytonix_bench_${randomBytes(4).toString('hex')}`;

function databaseUrl(database: string) {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function timeQuery(client: pg.Client, text: string, values: unknown[], runs: number) {
  const times: number[] = [];
  let rows = 0;
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    const result = await client.query(text, values);
    times.push(performance.now() - started);
    rows = result.rowCount ?? 0;
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)] ?? 0, rows };
}

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
try {
  const url = databaseUrl(name);
  await migrateDatabase(url, pino({ level: 'silent' }));
  const client = new pg.Client({ connectionString: url });
  await client.connect();

  // A tree with a fan-out of 6 (depth about 6 for 20,000 entities), loaded
  // in batches of 500 rows so each batch is one statement through the triggers.
  const loadStarted = performance.now();
  const ids: string[] = Array.from({ length: total }, () => randomUUID());
  for (let first = 0; first < total; first += 500) {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let index = first; index < Math.min(first + 500, total); index += 1) {
      const parent = index === 0 ? null : ids[Math.floor((index - 1) / 6)];
      let type = index % 7 === 0 ? 'engagement' : 'business_unit';
      if (index === 0) type = 'organization';
      const offset = values.length;
      values.push(ids[index], parent, type, `E${index}`);
      rows.push(
        `($${offset + 1}::uuid, $${offset + 2}::uuid, $${offset + 3}, $${offset + 4}, $${offset + 4})`,
      );
    }
    await client.query(
      `INSERT INTO entities (id, parent_id, type, code, name) VALUES ${rows.join(', ')}`,
      values,
    );
  }
  await client.query('ANALYZE');
  const loadMs = performance.now() - loadStarted;

  for (const [label, target] of [
    ['a business unit two levels down', ids[7]],
    ['the organization root', ids[0]],
  ] as const) {
    await compare(client, label, target);
  }
  const size = await client.query(
    "SELECT pg_total_relation_size('entity_closure') AS closure, pg_total_relation_size('entities') AS entities",
  );
  await client.end();

  console.log(`entities: ${total}, load with closure triggers: ${Math.round(loadMs)} ms`);
  console.log(
    `storage: entity_closure ${Math.round(Number(size.rows[0].closure) / 1024)} KiB, entities ${Math.round(Number(size.rows[0].entities) / 1024)} KiB`,
  );
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

async function compare(client: pg.Client, label: string, target: string | undefined) {
  const closure = await timeQuery(
    client,
    'SELECT e.id FROM entity_closure c JOIN entities e ON e.id = c.descendant_id WHERE c.ancestor_id = $1',
    [target],
    51,
  );
  const recursive = await timeQuery(
    client,
    `WITH RECURSIVE subtree AS (
       SELECT id FROM entities WHERE id = $1
       UNION ALL
       SELECT e.id FROM entities e JOIN subtree s ON e.parent_id = s.id
     ) SELECT id FROM subtree`,
    [target],
    51,
  );
  console.log(`${label}: ${closure.rows} rows`);
  console.log(`  closure median: ${closure.medianMs.toFixed(3)} ms`);
  console.log(`  recursive CTE median (baseline): ${recursive.medianMs.toFixed(3)} ms`);
  console.log(`  ratio closure / baseline: ${(closure.medianMs / recursive.medianMs).toFixed(3)}`);
}
