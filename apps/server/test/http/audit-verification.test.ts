import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCheckpointScheduler } from '../../src/modules/audit-trail/checkpoints/checkpoint-scheduler.ts';
import { verifyAndRecord } from '../../src/modules/audit-trail/verification/verification-results.ts';
import { readEd25519PublicKey } from '../../src/platform/keys/signing-key.ts';
import { createLogger } from '../../src/platform/logging/logger.ts';
import {
  AUDIT_ADMIN as ADMIN,
  AUDIT_MANAGER as MANAGER,
  AUDIT_READER as READER,
  seedAuditReaders,
} from '../support/audit-readers.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

interface Verification {
  state: string;
  staleAfterSeconds: number;
  latest: {
    treeSize: number;
    outcome: string;
    damage: { seq: number; kind: string; description: string } | null;
    instance: string;
  } | null;
}

describe('audit verification API', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let owner: pg.Client;
  let app: pg.Client;

  const get = (url: string, user: string) =>
    testApp.app.inject({ method: 'GET', url, headers: { 'x-test-user': user } });
  const verification = async (user = ADMIN) =>
    (await get('/api/v1/audit/verification', user)).json<Verification>();
  const publicKey = async () => readEd25519PublicKey((await testApp.checkpointKey()).publicKeyPem);

  /** Store a result as the owner, which may set recorded_at, unlike the application role. */
  const storeResult = (outcome: string, ageSeconds: number, damage?: [number, string]) =>
    owner.query(
      `INSERT INTO audit_verifications (recorded_at, started_at, duration_ms, tree_size, checkpoints,
         outcome, damage_seq, damage_kind, instance)
       VALUES (now() - make_interval(secs => $2), now() - make_interval(secs => $2), 5, 10, 1,
         $1, $3, $4, 'fixture:1')`,
      [outcome, ageSeconds, damage?.[0] ?? null, damage?.[1] ?? null],
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    ({ owner } = await seedAuditReaders(testApp));
    app = new pg.Client({ connectionString: database.appUrl });
    await app.connect();
  });

  afterAll(async () => {
    await app?.end();
    await owner?.end();
    await testApp?.close();
    await database?.drop();
  });

  it('reports unverified before any result', async () => {
    const body = await verification();

    expect(body.state).toBe('unverified');
    expect(body.latest).toBeNull();
    expect(body.staleAfterSeconds).toBe(2 * 3600 + 300);
  });

  it('reports intact after a verification', async () => {
    const report = await verifyAndRecord(testApp.database.db, await publicKey());

    const body = await verification();

    expect(body.state).toBe('intact');
    expect(body.latest?.outcome).toBe('intact');
    expect(body.latest?.treeSize).toBe(report.events);
    expect(body.latest?.damage).toBeNull();
    expect(body.latest?.instance).toContain(String(process.pid));
  });

  it('allows subtree managers, rejects read-only', async () => {
    expect((await get('/api/v1/audit/verification', MANAGER)).statusCode).toBe(200);

    const rejected = await get('/api/v1/audit/verification', READER);

    expect(rejected.statusCode).toBe(403);
    expect(rejected.headers['content-type']).toContain('application/problem+json');
  });

  it('reports an old intact result as stale', async () => {
    await storeResult('intact', 3 * 3600);

    const body = await verification();

    expect(body.state).toBe('stale');
    expect(body.latest?.outcome).toBe('intact');
  });

  it('reports a failed verification as failed', async () => {
    await storeResult('failed', 0);

    expect((await verification()).state).toBe('failed');
  });

  it('keeps reporting old damage as damaged', async () => {
    await storeResult('damaged', 3 * 3600, [4, 'changed_event']);

    const body = await verification();

    expect(body.state).toBe('damaged');
    expect(body.latest?.damage).toEqual({
      seq: 4,
      kind: 'changed_event',
      description: 'An event no longer matches its hash: a field was changed.',
    });
  });

  it('keeps results append-only for the application role', async () => {
    await expect(
      app.query('UPDATE audit_verifications SET outcome = $1', ['intact']),
    ).rejects.toThrow(/append-only|permission denied/);
    await expect(app.query('DELETE FROM audit_verifications')).rejects.toThrow(
      /append-only|permission denied/,
    );
    await expect(
      app.query(
        `INSERT INTO audit_verifications (recorded_at, started_at, duration_ms, tree_size,
           checkpoints, outcome, instance) VALUES (now() + interval '1 day', now(), 1, 1, 1, 'intact', 'x')`,
      ),
    ).rejects.toThrow(/permission denied/);
  });

  it('rejects damage details on an intact result', async () => {
    await expect(storeResult('intact', 0, [4, 'changed_event'])).rejects.toThrow(
      /check constraint/,
    );
  });

  it('stores scheduler verifications', async () => {
    const before = await owner.query('SELECT count(*)::int AS count FROM audit_verifications');
    const key = await testApp.checkpointKey();
    const scheduler = startCheckpointScheduler(
      testApp.database.db,
      key,
      { everyEvents: 1000, everyMs: 60_000, verifyEveryMs: 1 },
      createLogger('silent'),
    );
    try {
      await vi.waitFor(async () => {
        const after = await owner.query('SELECT count(*)::int AS count FROM audit_verifications');
        if (after.rows[0].count === before.rows[0].count) throw new Error('no result stored yet');
      }, 10_000);
    } finally {
      await scheduler.stop();
    }

    expect((await verification()).state).toBe('intact');
  });

  it('reports damage that a verification finds', async () => {
    await owner.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete');
    await owner.query("UPDATE audit_events SET action = 'entity.updated' WHERE seq = 2");
    await owner.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete');

    await verifyAndRecord(testApp.database.db, await publicKey());

    const body = await verification();
    expect(body.state).toBe('damaged');
    expect(body.latest?.damage?.seq).toBe(2);
    expect(body.latest?.damage?.kind).toBe('changed_event');
  });
});
