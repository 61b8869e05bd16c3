// Benchmark: the cost of request authentication over HTTP. One GET route
// behind app.authenticate, reached with a real EdDSA access token, so each
// request verifies the JWT and revalidates its session with one query to
// PostgreSQL. The baseline is the same route with no authentication, served
// by the same app in the same run. Both routes run the app's other hooks
// (security headers, rate limit, request logging), so the difference is
// authentication alone.
//
// The app listens on 127.0.0.1 in this process. autocannon runs in one
// worker thread, so the load generator does not share the server's event
// loop. Prints requests per second and p99 latency of each route, and both
// ratios, with the requests-per-second ratio against its target.
//
// Run: npm run auth -w @peytonix/bench -- [--duration=10] [--connections=32] [--warmup=3]
// Durations are in seconds. BENCH_DURATION_SECONDS, BENCH_CONNECTIONS and
// BENCH_WARMUP_SECONDS set the same values when the flags are absent.
// Uses BENCH_DATABASE_URL (a superuser URL), else postgres://postgres@127.0.0.1:5432/postgres.
// The app connects as peytonix_app with no password, so PostgreSQL must
// trust that role on loopback, as the machine's test server does.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp, ROUTE_MODULES, type RouteModule } from '../apps/server/src/app.ts';
import type { Config } from '../apps/server/src/platform/config/config.ts';
import { loadConfig } from '../apps/server/src/platform/config/load-config.ts';
import { openDatabase } from '../apps/server/src/platform/db/database.ts';
import { readMigrationFiles } from '../apps/server/src/platform/db/migrations.ts';
import {
  memoizeKey,
  openCheckpointKey,
  openDataKeyProvider,
} from '../apps/server/src/platform/keys/key-provider.ts';
import { createLogger } from '../apps/server/src/platform/logging/logger.ts';
import { openObjectStorage } from '../apps/server/src/platform/storage/open-object-storage.ts';
import { migrateDatabase } from '../apps/server/src/runtime.ts';
import { createServices, type Services } from '../apps/server/src/services.ts';

const ROUNDS = 2;
const RPS_TARGET_RATIO = 0.6;
const ADMIN_EMAIL = 'bench-admin@example.com';
const ADMIN_PASSWORD = 'bench-correct-horse-battery-staple';
const AUTHENTICATED_PATH = '/bench/authenticated';
const OPEN_PATH = '/bench/open';

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// autocannon ships no type declarations, so this types the part of its API
// that the benchmark calls.
interface LoadResult {
  duration: number;
  requests: { average: number; total: number };
  latency: { average: number; p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  workers: number;
  headers: Record<string, string>;
}) => Promise<LoadResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

type Variant = 'authenticated' | 'open';

interface BenchOptions {
  durationSeconds: number;
  connections: number;
  warmupSeconds: number;
}

function parsePositiveInteger(value: string, name: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return number;
}

function parseOptions(): BenchOptions {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: process.env.BENCH_DURATION_SECONDS ?? '10' },
      connections: { type: 'string', default: process.env.BENCH_CONNECTIONS ?? '32' },
      warmup: { type: 'string', default: process.env.BENCH_WARMUP_SECONDS ?? '3' },
    },
  });
  return {
    durationSeconds: parsePositiveInteger(values.duration, '--duration or BENCH_DURATION_SECONDS'),
    connections: parsePositiveInteger(values.connections, '--connections or BENCH_CONNECTIONS'),
    warmupSeconds: parsePositiveInteger(values.warmup, '--warmup or BENCH_WARMUP_SECONDS'),
  };
}

function databaseUrl(database: string, user?: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  if (user !== undefined) {
    url.username = user;
    url.password = '';
  }
  return url.toString();
}

/**
 * Create the login role that migrations grant privileges to, unless it
 * exists. A role belongs to the whole PostgreSQL server, so dropping the
 * database leaves it behind, as the test setup does.
 */
async function ensureAppRole(admin: pg.Client): Promise<void> {
  const exists = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = 'peytonix_app'");
  if (exists.rowCount === 0) await admin.query('CREATE ROLE peytonix_app LOGIN');
}

/** Create a migrated database, run `work` against it, then drop it. */
async function withThrowawayDatabase<T>(
  work: (urls: { ownerUrl: string; appUrl: string }) => Promise<T>,
): Promise<T> {
  const name = `peytonix_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await ensureAppRole(admin);
  await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`);
  try {
    const ownerUrl = databaseUrl(name);
    await migrateDatabase(ownerUrl, createLogger('silent'));
    return await work({ ownerUrl, appUrl: databaseUrl(name, 'peytonix_app') });
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

const benchRoutes: RouteModule = (app) => {
  // The authenticated route declares a catalogue permission, so it also
  // pays for the route's permission check.
  app.get(
    AUTHENTICATED_PATH,
    { onRequest: app.authenticate, config: { permission: 'entities.read' } },
    async () => ({ ok: true }),
  );
  app.get(OPEN_PATH, { config: { permission: 'public' } }, async () => ({ ok: true }));
};

interface Server {
  app: FastifyInstance;
  services: Services;
  origin: string;
  close(): Promise<void>;
}

/**
 * Assemble the server as the HTTP tests do, but with the configured pool
 * size and statement timeout, and build the app with every module's routes
 * and the two bench routes. Runs no audit sealer, checkpoint scheduler or
 * job queue, because the measured requests append no audit events.
 */
async function startServer(config: Config, appUrl: string): Promise<Server> {
  const logger = createLogger(config.log.level);
  const database = openDatabase({
    url: appUrl,
    poolMax: config.database.poolMax,
    statementTimeoutMs: config.database.statementTimeoutMs,
    applicationName: 'peytonix-bench',
    logger,
  });
  const dataKeys = memoizeKey(() => openDataKeyProvider(config, { create: true }));
  const services = createServices({
    db: database.db,
    logger,
    checkpointKey: memoizeKey(() => openCheckpointKey(config, { create: true, db: database.db })),
    identity: config.identity,
    dataKeys,
    storage: memoizeKey(() => openObjectStorage(config, dataKeys)),
    workRoot: path.join(config.dataDir, 'work'),
  });
  const closeServices = async () => {
    await services.close();
    await database.close();
  };

  try {
    const app = await buildApp(config, {
      logger,
      db: database.db,
      services,
      migrationFiles: readMigrationFiles(),
      readinessChecks: [],
      routeModules: [...ROUTE_MODULES, benchRoutes],
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') {
      await app.close();
      throw new Error(`the app did not report a TCP address, got ${JSON.stringify(address)}`);
    }
    return {
      app,
      services,
      origin: `http://127.0.0.1:${address.port}`,
      async close() {
        await app.close();
        await closeServices();
      },
    };
  } catch (error) {
    await closeServices();
    throw error;
  }
}

async function postJson(url: string, body: unknown): Promise<Response> {
  return await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/**
 * Create the first administrator, set the password with the setup secret
 * and sign in over HTTP. MFA is off, so sign-in returns an access token.
 */
async function signIn(services: Services, origin: string): Promise<string> {
  const created = await services.identity.createFirstAdministrator({
    email: ADMIN_EMAIL,
    displayName: 'Bench Administrator',
    organizationName: 'Bench Organization',
    organizationCode: 'BENCH',
  });

  const setup = await postJson(`${origin}/api/v1/auth/setup`, {
    setupSecret: created.setupSecret,
    password: ADMIN_PASSWORD,
  });
  if (setup.status !== 204) {
    throw new Error(`POST /api/v1/auth/setup returned ${setup.status}: ${await setup.text()}`);
  }

  const login = await postJson(`${origin}/api/v1/auth/login`, {
    email: ADMIN_EMAIL,
    password: ADMIN_PASSWORD,
    delivery: 'body',
  });
  const body = (await login.json()) as { status?: string; accessToken?: string };
  if (login.status !== 200 || body.status !== 'signed_in' || body.accessToken === undefined) {
    throw new Error(
      `POST /api/v1/auth/login returned ${login.status} ${JSON.stringify(body)}, expected status signed_in with an accessToken`,
    );
  }
  return body.accessToken;
}

/** Fail unless the authenticated route returns 200 with the token and 401 without it. */
async function checkRoutes(origin: string, token: string): Promise<void> {
  const expectations: { path: string; headers: Record<string, string>; status: number }[] = [
    { path: AUTHENTICATED_PATH, headers: { authorization: `Bearer ${token}` }, status: 200 },
    { path: AUTHENTICATED_PATH, headers: {}, status: 401 },
    { path: OPEN_PATH, headers: {}, status: 200 },
  ];
  for (const expected of expectations) {
    const response = await fetch(`${origin}${expected.path}`, { headers: expected.headers });
    const body = await response.text();
    if (response.status !== expected.status) {
      const withToken = 'authorization' in expected.headers ? 'with' : 'without';
      throw new Error(
        `GET ${expected.path} ${withToken} a token returned ${response.status}, expected ${expected.status}: ${body}`,
      );
    }
  }
}

async function runLoad(
  origin: string,
  variant: Variant,
  token: string,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const result = await autocannon({
    url: `${origin}${variant === 'authenticated' ? AUTHENTICATED_PATH : OPEN_PATH}`,
    connections,
    duration: seconds,
    workers: 1,
    headers: variant === 'authenticated' ? { authorization: `Bearer ${token}` } : {},
  });
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(
      `the ${variant} run had ${result.errors} connection errors, ${result.timeouts} timeouts and ${result.non2xx} non-2xx responses (status counts ${JSON.stringify(result.statusCodeStats)}), so its numbers would not measure successful requests`,
    );
  }
  return result;
}

/**
 * Warm both routes up, then run ROUNDS rounds that alternate which route
 * goes first (open, authenticated, then authenticated, open), so drift in
 * machine load falls on both.
 */
async function measure(
  origin: string,
  token: string,
  options: BenchOptions,
): Promise<Record<Variant, LoadResult[]>> {
  await runLoad(origin, 'open', token, options.connections, options.warmupSeconds);
  await runLoad(origin, 'authenticated', token, options.connections, options.warmupSeconds);

  const results: Record<Variant, LoadResult[]> = { authenticated: [], open: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    const order: Variant[] =
      round % 2 === 0 ? ['open', 'authenticated'] : ['authenticated', 'open'];
    for (const variant of order) {
      const result = await runLoad(
        origin,
        variant,
        token,
        options.connections,
        options.durationSeconds,
      );
      results[variant].push(result);
      console.log(
        `  round ${round + 1}, ${variant}: ${formatRate(result.requests.average)} requests/s, p99 ${result.latency.p99} ms`,
      );
    }
  }
  return results;
}

// ---------------------------------------------------------------------------
// Output

function formatRate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString('en-US');
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

async function printEnvironment(config: Config, options: BenchOptions): Promise<void> {
  const cpus = os.cpus();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const server = await admin.query<{ server_version: string }>('SHOW server_version');
  await admin.end();

  console.log(`CPU: ${cpus[0]?.model ?? 'unknown'} x ${cpus.length}; Node ${process.version}`);
  console.log(
    `PostgreSQL ${server.rows[0]?.server_version ?? 'unknown'} at ${new URL(adminUrl).host}; pool of ${config.database.poolMax} connections`,
  );
  console.log(
    `Load: ${options.connections} connections from one autocannon worker thread, ${ROUNDS} runs of ${options.durationSeconds} s per route after ${options.warmupSeconds} s of warm-up`,
  );
}

function printSummary(results: Record<Variant, LoadResult[]>): void {
  const rps = {
    authenticated: mean(results.authenticated.map((result) => result.requests.average)),
    open: mean(results.open.map((result) => result.requests.average)),
  };
  const p99 = {
    authenticated: mean(results.authenticated.map((result) => result.latency.p99)),
    open: mean(results.open.map((result) => result.latency.p99)),
  };
  const rpsRatio = rps.authenticated / rps.open;
  const verdict = rpsRatio >= RPS_TARGET_RATIO ? 'met' : 'NOT met';

  console.log(`Mean of ${ROUNDS} runs per route:`);
  console.log(
    `  authenticated: ${formatRate(rps.authenticated)} requests/s, p99 ${p99.authenticated.toFixed(1)} ms`,
  );
  console.log(
    `  open (baseline): ${formatRate(rps.open)} requests/s, p99 ${p99.open.toFixed(1)} ms`,
  );
  console.log(
    `  ratio authenticated / open: requests/s ${rpsRatio.toFixed(2)} (target >= ${RPS_TARGET_RATIO}: ${verdict}), p99 ${(p99.authenticated / p99.open).toFixed(2)}`,
  );
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'peytonix-bench-'));
  try {
    await withThrowawayDatabase(async ({ ownerUrl, appUrl }) => {
      const config = loadConfig({
        DATABASE_URL: ownerUrl,
        PEYTONIX_APP_DATABASE_URL: appUrl,
        PEYTONIX_DATA_DIR: dataDir,
        PEYTONIX_MFA_REQUIRED: 'false',
        // The limiter still runs on every request. This is the largest count
        // the variable accepts, per one-second window, and runLoad fails any
        // run that gets a 429.
        PEYTONIX_RATE_LIMIT_MAX: '1000000',
        PEYTONIX_RATE_LIMIT_WINDOW_MS: '1000',
        PEYTONIX_LOG_LEVEL: 'silent',
      });

      // The token must outlive every run, or the last ones would get 401.
      const plannedMs = (2 * options.warmupSeconds + 2 * ROUNDS * options.durationSeconds) * 1000;
      if (plannedMs >= config.identity.accessTokenTtlMs) {
        throw new RangeError(
          `the runs take ${plannedMs / 1000} s but an access token lives ${config.identity.accessTokenTtlMs / 1000} s. Lower --duration or --warmup.`,
        );
      }

      await printEnvironment(config, options);
      const server = await startServer(config, appUrl);
      try {
        const token = await signIn(server.services, server.origin);
        await checkRoutes(server.origin, token);
        printSummary(await measure(server.origin, token, options));
      } finally {
        await server.close();
      }
    });
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
