import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkSignature,
  type SignedCheckpoint,
} from '../../src/modules/audit-trail/checkpoints/checkpoint-body.ts';
import { createCheckpoint } from '../../src/modules/audit-trail/checkpoints/create-checkpoint.ts';
import { verifyConsistency, verifyInclusion } from '../../src/modules/audit-trail/merkle/index.ts';
import type { Actor } from '../../src/modules/identity/actor.ts';
import { readEd25519PublicKey } from '../../src/platform/keys/signing-key.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';
const MANAGER = 'max@example.com';
const READER = 'rita@example.com';

interface Page {
  events: { seq: number; action: string; entityId: string | null; actorId: string | null }[];
  nextCursor: string | null;
}

describe('audit trail API', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let entityIds: Record<string, string>;

  const get = (url: string, user?: string) =>
    testApp.app.inject({
      method: 'GET',
      url,
      headers: user === undefined ? {} : { 'x-test-user': user },
    });

  async function addUser(owner: pg.Client, email: string, role: string, entityId: string) {
    const user = await owner.query<{ id: string }>(
      'INSERT INTO users (email, display_name) VALUES ($1, $1) RETURNING id',
      [email],
    );
    await owner.query('INSERT INTO role_grants (user_id, role, entity_id) VALUES ($1, $2, $3)', [
      user.rows[0]?.id,
      role,
      entityId,
    ]);
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    const { services } = testApp;
    const first = await services.identity.createFirstAdministrator({
      email: ADMIN,
      displayName: 'Ada',
      organizationName: 'Example Group',
      organizationCode: 'ORG',
    });
    const admin: Actor = { type: 'user', userId: first.userId, email: ADMIN, channel: 'api' };
    const retail = await services.entities.create(admin, {
      parentCode: 'ORG',
      type: 'business_unit',
      code: 'RETAIL',
      name: 'Retail',
    });
    const store = await services.entities.create(admin, {
      parentCode: 'RETAIL',
      type: 'engagement',
      code: 'STORE',
      name: 'Store audit',
    });
    const bank = await services.entities.create(admin, {
      parentCode: 'ORG',
      type: 'business_unit',
      code: 'BANK',
      name: 'Bank',
    });
    entityIds = { RETAIL: retail.id, STORE: store.id, BANK: bank.id, ORG: first.organizationId };

    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    await addUser(owner, MANAGER, 'management', retail.id);
    await addUser(owner, READER, 'read_only', entityIds.ORG ?? '');
    await owner.end();
  });
  afterAll(async () => {
    await testApp?.close();
    await database?.drop();
  });

  it('answers 401 without a session', async () => {
    for (const url of [
      '/api/v1/audit/events?limit=abc',
      '/api/v1/audit/events/abc/inclusion-proof',
    ]) {
      expect((await get(url)).statusCode, url).toBe(401);
    }
    const response = await get('/api/v1/audit/events');

    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses a read-only user and audits the denial', async () => {
    const response = await get('/api/v1/audit/events', READER);

    expect(response.statusCode).toBe(403);
    const denials = await get('/api/v1/audit/events?action=access.denied', ADMIN);
    expect(denials.json<Page>().events[0]).toMatchObject({ action: 'access.denied' });
  });

  it('rejects NUL characters in filters with 400', async () => {
    for (const query of ['targetType=a%00', 'targetId=a%00']) {
      const response = await get(`/api/v1/audit/events?${query}`, ADMIN);
      expect(response.statusCode, query).toBe(400);
    }
  });

  it('pages newest first with a cursor, without overlap', async () => {
    const first = (await get('/api/v1/audit/events?limit=2', ADMIN)).json<Page>();
    const second = (
      await get(`/api/v1/audit/events?limit=2&cursor=${first.nextCursor}`, ADMIN)
    ).json<Page>();

    expect(first.events).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const seqs = [...first.events, ...second.events].map((event) => event.seq);
    expect(seqs).toEqual(seqs.toSorted((a, b) => b - a));
    expect(new Set(seqs).size).toBe(4);
  });

  it('filters by action and entity', async () => {
    const created = (await get('/api/v1/audit/events?action=entity.created', ADMIN)).json<Page>();
    const bank = (await get(`/api/v1/audit/events?entityId=${entityIds.BANK}`, ADMIN)).json<Page>();

    expect(created.events.map((event) => event.action)).toEqual(Array(4).fill('entity.created'));
    expect(bank.events.every((event) => event.entityId === entityIds.BANK)).toBe(true);
    expect(bank.events.length).toBeGreaterThan(0);
  });

  it('audits every search', async () => {
    await get('/api/v1/audit/events?outcome=failure', ADMIN);

    const reads = (
      await get('/api/v1/audit/events?action=audit.events_searched&limit=200', ADMIN)
    ).json<Page>();
    expect(reads.events.length).toBeGreaterThanOrEqual(5);
  });

  it('shows management only the events of its subtree', async () => {
    const page = (await get('/api/v1/audit/events?limit=200', MANAGER)).json<Page>();

    const inScope = new Set([entityIds.RETAIL, entityIds.STORE]);
    expect(page.events.length).toBeGreaterThan(0);
    expect(
      page.events.every((event) => event.entityId !== null && inScope.has(event.entityId)),
    ).toBe(true);
  });

  it('rejects malformed queries with 400', async () => {
    for (const query of [
      'limit=0',
      'limit=500',
      'actorId=not-a-uuid',
      'from=yesterday',
      'cursor=bm9wZQ',
      'colour=red',
      'action=DROP TABLE',
    ]) {
      const response = await get(`/api/v1/audit/events?${query}`, ADMIN);
      expect(response.statusCode, query).toBe(400);
    }
  });

  describe('proofs', () => {
    let first: SignedCheckpoint;
    let second: SignedCheckpoint;

    beforeAll(async () => {
      const key = await testApp.checkpointKey();
      const a = await createCheckpoint(testApp.database.db, key);
      await get('/api/v1/audit/events', ADMIN);
      const b = await createCheckpoint(testApp.database.db, key);
      if (a === null || b === null) throw new Error('no checkpoint was signed');
      first = a;
      second = b;
    });

    it('publishes the key that verifies the checkpoints', async () => {
      const response = await get('/api/v1/audit/public-key');
      const body = response.json<{ keyId: string; publicKeyPem: string }>();
      const listed = (await get('/api/v1/audit/checkpoints', ADMIN)).json<{
        checkpoints: SignedCheckpoint[];
      }>();

      expect(response.statusCode).toBe(200);
      const publicKey = readEd25519PublicKey(body.publicKeyPem);
      expect(listed.checkpoints).toHaveLength(2);
      for (const signed of listed.checkpoints) {
        expect(checkSignature(signed, publicKey)).toBe('valid');
      }
    });

    it('returns a verifiable inclusion proof', async () => {
      const response = await get('/api/v1/audit/events/2/inclusion-proof', ADMIN);
      const proof = response.json<{
        leafHash: string;
        leafIndex: number;
        treeSize: number;
        proof: string[];
        checkpoint: SignedCheckpoint;
      }>();

      expect(response.statusCode).toBe(200);
      expect(proof.treeSize).toBe(second.checkpoint.treeSize);
      const root = Buffer.from(proof.checkpoint.checkpoint.rootHash, 'hex');
      const path = proof.proof.map((node) => Buffer.from(node, 'hex'));
      expect(
        verifyInclusion(
          Buffer.from(proof.leafHash, 'hex'),
          proof.leafIndex,
          proof.treeSize,
          path,
          root,
        ),
      ).toBe(true);
      expect(
        verifyInclusion(
          Buffer.from(proof.leafHash, 'hex'),
          proof.leafIndex + 1,
          proof.treeSize,
          path,
          root,
        ),
      ).toBe(false);
    });

    it('returns a consistency proof between two checkpoints', async () => {
      const { treeSize: m } = first.checkpoint;
      const { treeSize: n } = second.checkpoint;
      const response = await get(`/api/v1/audit/consistency-proof?first=${m}&second=${n}`, ADMIN);
      const body = response.json<{ proof: string[] }>();

      expect(response.statusCode).toBe(200);
      const nodes = body.proof.map((node) => Buffer.from(node, 'hex'));
      const firstRoot = Buffer.from(first.checkpoint.rootHash, 'hex');
      const secondRoot = Buffer.from(second.checkpoint.rootHash, 'hex');
      expect(verifyConsistency(m, n, firstRoot, secondRoot, nodes)).toBe(true);
      expect(verifyConsistency(m, n, secondRoot, firstRoot, nodes)).toBe(false);
    });

    it('hides out-of-scope and uncovered events', async () => {
      const outside = await get('/api/v1/audit/events/1/inclusion-proof', MANAGER);
      const newest = (await get('/api/v1/audit/events?limit=1', ADMIN)).json<Page>().events[0];
      const uncovered = await get(`/api/v1/audit/events/${newest?.seq}/inclusion-proof`, ADMIN);
      const missing = await get('/api/v1/audit/events/100000/inclusion-proof', ADMIN);
      const noSuchSize = await get('/api/v1/audit/events/1/inclusion-proof?treeSize=3', ADMIN);

      expect(outside.statusCode).toBe(404);
      expect(uncovered.statusCode).toBe(409);
      expect(uncovered.json()).toMatchObject({ code: 'CONFLICT' });
      expect(missing.statusCode).toBe(404);
      expect(noSuchSize.statusCode).toBe(404);
    });
  });
});
