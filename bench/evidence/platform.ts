// The server side of the evidence benchmark. It creates a throwaway
// database, the services as `peytonix start` assembles them with local
// object storage and a clamd scanner, and the users and engagement that own
// the evidence. Probes time the steps of each confirm.
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import type { Actor } from '../../apps/server/src/modules/identity/actor.ts';
import type { Config } from '../../apps/server/src/platform/config/config.ts';
import { type DatabaseHandle, openDatabase } from '../../apps/server/src/platform/db/database.ts';
import {
  memoizeKey,
  openCheckpointKey,
  openDataKeyProvider,
} from '../../apps/server/src/platform/keys/key-provider.ts';
import { createLogger } from '../../apps/server/src/platform/logging/logger.ts';
import {
  type ClamdScanner,
  createClamdScanner,
} from '../../apps/server/src/platform/scanning/clamd-client.ts';
import {
  isLocalObjectStorage,
  type LocalObjectStorage,
} from '../../apps/server/src/platform/storage/local-object-storage.ts';
import type { ObjectStorage } from '../../apps/server/src/platform/storage/object-storage.ts';
import { openObjectStorage } from '../../apps/server/src/platform/storage/open-object-storage.ts';
import { OBJECT_URL_PATH } from '../../apps/server/src/platform/storage/signed-url.ts';
import { migrateDatabase } from '../../apps/server/src/runtime.ts';
import { createServices, type Services } from '../../apps/server/src/services.ts';

export const adminUrl =
  process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const ORGANIZATION_CODE = 'BENCH';
const BUSINESS_UNIT_CODE = 'AP';
export const ENGAGEMENT_CODE = 'AP-EVIDENCE';

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
 * Wait up to 5 s until no session is connected to `database`. A closed
 * pg pool resolves before its backends have exited, and DROP DATABASE
 * WITH (FORCE) would then terminate them, which the pool logs as errors.
 */
async function waitForDisconnect(admin: pg.Client, database: string): Promise<void> {
  const deadline = performance.now() + 5_000;
  while (performance.now() < deadline) {
    const sessions = await admin.query<{ count: string }>(
      'SELECT count(*) FROM pg_stat_activity WHERE datname = $1',
      [database],
    );
    if (sessions.rows[0]?.count === '0') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Create a migrated database with the application role, run `work` against
 * it, then drop it, whether `work` succeeds or throws. The role belongs to
 * the whole PostgreSQL server, so it stays, as in the other benchmarks.
 */
export async function withThrowawayDatabase<T>(
  work: (urls: { ownerUrl: string; appUrl: string }) => Promise<T>,
): Promise<T> {
  const name = `peytonix_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const role = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = 'peytonix_app'");
    if (role.rowCount === 0) await admin.query('CREATE ROLE peytonix_app LOGIN');
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`);
    try {
      const ownerUrl = databaseUrl(name);
      await migrateDatabase(ownerUrl, createLogger('silent'));
      return await work({ ownerUrl, appUrl: databaseUrl(name, 'peytonix_app') });
    } finally {
      await waitForDisconnect(admin, name);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

/**
 * Times of one confirm, from performance.now(), as the probes see them.
 * The check reads the object once: `get` opens it, the scan session
 * receives its bytes, and clamd replies after the last one.
 */
export interface CheckTimes {
  /** Time spent in storage.head, in ms. */
  headMs: number;
  /** Time database connections were checked out of the pool, in ms: the transactions. */
  databaseMs: number;
  getStartedAt: number | null;
  /** When the check had sent the last byte to clamd and asked for the verdict. */
  streamEndedAt: number | null;
  verdictAt: number | null;
}

/** The confirm that the probes record into, or null while confirms run in parallel. */
export interface CheckProbe {
  current: CheckTimes | null;
}

/**
 * Wrap the storage the services use, so that head and the start of get are
 * timed into the probe. Every call goes to `storage` unchanged.
 */
function probedStorage(storage: ObjectStorage, probe: CheckProbe): ObjectStorage {
  return {
    kind: storage.kind,
    put: (key, body, options) => storage.put(key, body, options),
    async get(key, options) {
      if (probe.current !== null) probe.current.getStartedAt = performance.now();
      return await storage.get(key, options);
    },
    async head(key) {
      const times = probe.current;
      const started = performance.now();
      try {
        return await storage.head(key);
      } finally {
        if (times !== null) times.headMs += performance.now() - started;
      }
    },
    delete: (key) => storage.delete(key),
    signedUrl: (key, options) => storage.signedUrl(key, options),
  };
}

/** Wrap a scanner so that the end of each stream and the verdict are timed into the probe. */
function probedScanner(scanner: ClamdScanner, probe: CheckProbe): ClamdScanner {
  return {
    open() {
      const session = scanner.open();
      const times = probe.current;
      return {
        write: (chunk) => session.write(chunk),
        async finish() {
          if (times !== null) times.streamEndedAt = performance.now();
          const verdict = await session.finish();
          if (times !== null) times.verdictAt = performance.now();
          return verdict;
        },
        abort: () => session.abort(),
      };
    },
    scan: (source) => scanner.scan(source),
    ping: () => scanner.ping(),
  };
}

/**
 * Time how long each pooled connection stays checked out into the probe.
 * The services check a connection out for one transaction and release it
 * at its end, so the sum is the time spent in transactions.
 */
function probeDatabase(database: DatabaseHandle, probe: CheckProbe): void {
  const checkedOut = new Map<pg.PoolClient, { started: number; times: CheckTimes | null }>();
  database.pool.on('acquire', (client) => {
    checkedOut.set(client, { started: performance.now(), times: probe.current });
  });
  database.pool.on('release', (_error, client) => {
    const entry = checkedOut.get(client);
    checkedOut.delete(client);
    if (entry?.times != null) entry.times.databaseMs += performance.now() - entry.started;
  });
}

export interface Platform {
  services: Services;
  database: DatabaseHandle;
  /** The local storage behind the services, without probes. */
  storage: LocalObjectStorage;
  /** A client of the same clamd, configured as the services' one, without probes. */
  scanner: ClamdScanner;
  probe: CheckProbe;
  close(): Promise<void>;
}

/**
 * Assemble the services over the application role as openRuntime does,
 * with the scanner and evidence limits of `config`. Storage and scanner
 * pass through probes that only take timestamps. The data keys come from a
 * new local master key, as in the other benchmarks. Starts no job queue or
 * audit sealer, because confirm needs neither.
 */
export async function startPlatform(config: Config, appUrl: string): Promise<Platform> {
  const logger = createLogger('warn', process.stderr);
  const database = openDatabase({
    url: appUrl,
    poolMax: config.database.poolMax,
    statementTimeoutMs: config.database.statementTimeoutMs,
    applicationName: 'peytonix-bench',
    logger,
  });
  try {
    const dataKeys = memoizeKey(() => openDataKeyProvider(config, { create: true }));
    const storage = await openObjectStorage(config, dataKeys);
    if (!isLocalObjectStorage(storage)) {
      throw new Error(
        `the benchmark needs local object storage, but the config opened ${storage.kind}`,
      );
    }
    const scanner = createClamdScanner(config.scanner);
    const probe: CheckProbe = { current: null };
    probeDatabase(database, probe);
    const probed = probedStorage(storage, probe);
    const services = createServices({
      db: database.db,
      logger,
      checkpointKey: memoizeKey(() => openCheckpointKey(config, { create: true, db: database.db })),
      identity: config.identity,
      dataKeys,
      storage: async () => probed,
      workRoot: path.join(config.dataDir, 'work'),
      runs: config.runs,
      scanner: probedScanner(scanner, probe),
      evidence: config.evidence,
    });
    return {
      services,
      database,
      storage,
      scanner,
      probe,
      async close() {
        await services.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/**
 * Create the first administrator, a business unit and an engagement below
 * it, and a second user with the preparer role on the business unit, who
 * declares and confirms the evidence. The grant is written as the database
 * owner, as in the test-engine benchmark, because the product path for
 * grants is a change request that a second person approves.
 */
export async function createPreparer(services: Services, ownerUrl: string): Promise<Actor> {
  const administrator = await services.identity.createFirstAdministrator({
    email: 'bench-admin@example.com',
    displayName: 'Bench Administrator',
    organizationName: 'Bench Organization',
    organizationCode: ORGANIZATION_CODE,
  });
  const adminActor: Actor = {
    type: 'user',
    userId: administrator.userId,
    email: 'bench-admin@example.com',
    channel: 'cli',
  };
  await services.entities.create(adminActor, {
    parentCode: ORGANIZATION_CODE,
    type: 'business_unit',
    code: BUSINESS_UNIT_CODE,
    name: 'Accounts payable',
  });
  await services.entities.create(adminActor, {
    parentCode: BUSINESS_UNIT_CODE,
    type: 'engagement',
    code: ENGAGEMENT_CODE,
    name: 'Evidence benchmark engagement',
  });

  const email = 'bench-preparer@example.com';
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    const user = await owner.query<{ id: string }>(
      'INSERT INTO users (email, display_name) VALUES ($1, $2) RETURNING id',
      [email, 'Bench Preparer'],
    );
    const userId = user.rows[0]?.id;
    if (userId === undefined) throw new Error(`inserting the user ${email} returned no id`);
    await owner.query(
      "INSERT INTO role_grants (user_id, role, entity_id) SELECT $1, 'preparer', id FROM entities WHERE code = $2",
      [userId, BUSINESS_UNIT_CODE],
    );
    return { type: 'user', userId, email, channel: 'api' };
  } finally {
    await owner.end();
  }
}

/**
 * Declare `file` as evidence on the engagement and store its bytes under
 * the upload URL's key. The URL is verified, and the object stored with
 * its signed SHA-256 and content type, as the PUT route of the local
 * storage does, only without HTTP. Returns the evidence id and the object key.
 */
export async function declareAndUpload(
  platform: Platform,
  preparer: Actor,
  file: Buffer,
  fileName: string,
): Promise<{ evidenceId: string; objectKey: string }> {
  const declared = await platform.services.evidence.declare(preparer, {
    subjectType: 'engagement',
    subject: ENGAGEMENT_CODE,
    fileName,
    size: file.length,
    sha256: createHash('sha256').update(file).digest('hex'),
    contentType: 'application/pdf',
  });
  const url = new URL(declared.upload.url);
  const grant = await platform.storage.verifySignedRequest({
    method: declared.upload.method,
    key: url.pathname.slice(OBJECT_URL_PATH.length),
    query: url.search,
    contentType: declared.upload.headers['content-type'],
    contentLength: file.length,
  });
  await platform.storage.put(grant.key, file, {
    ...(grant.sha256 === undefined ? {} : { sha256: grant.sha256 }),
    ...(grant.contentType === undefined ? {} : { contentType: grant.contentType }),
  });
  return { evidenceId: declared.evidenceId, objectKey: grant.key };
}
