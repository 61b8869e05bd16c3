import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteModule } from '../../src/app.ts';
import {
  sealerCheck,
  startAuditSealer,
} from '../../src/modules/audit-trail/sealing/audit-sealer.ts';
import { createSecurityEvents } from '../../src/modules/audit-trail/security-events.ts';
import { requestContext } from '../../src/platform/http/authentication.ts';
import { silentLogger } from '../support/audit-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const ADMIN = 'ada@example.com';

// A route that makes a real business change through a real service, so the
// test gets the response a client gets when the audit append fails.
const entityRoute: RouteModule = (app, services) => {
  const guarded = { onRequest: app.authenticate, config: { permission: 'entities.manage' } };
  app.post('/test/entities', guarded, async (request) => {
    const actor = await app.requireActor(request);
    const code = (request.body as { code: string }).code;
    return services.entities.create(
      actor,
      { parentCode: 'ORG', type: 'business_unit', code, name: code },
      requestContext(request),
    );
  });
};

async function ownerQuery(url: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

describe('when an audit append fails', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  const createEntity = (code: string) =>
    testApp.app.inject({
      method: 'POST',
      url: '/test/entities',
      headers: { 'x-test-user': ADMIN },
      payload: { code },
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true, routeModules: [entityRoute] });
    await testApp.services.identity.createFirstAdministrator({
      email: ADMIN,
      displayName: 'Ada',
      organizationName: 'Example Group',
      organizationCode: 'ORG',
    });
  });
  afterAll(async () => {
    await testApp?.close();
    await database?.drop();
  });

  it('rolls the change back and answers 503', async () => {
    expect((await createEntity('BEFORE')).statusCode).toBe(200);

    // Take the application role's right to write pending events, so the
    // append inside the entity's transaction fails.
    await ownerQuery(database.ownerUrl, 'REVOKE INSERT ON audit_pending FROM peytonix_app');
    let response: Awaited<ReturnType<typeof createEntity>>;
    try {
      response = await createEntity('DURING');
    } finally {
      await ownerQuery(database.ownerUrl, 'GRANT INSERT ON audit_pending TO peytonix_app');
    }

    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'AUDIT_TRAIL_UNAVAILABLE' });
    expect(JSON.stringify(response.json())).not.toMatch(/permission denied|audit_pending/);
    const stored = await ownerQuery(
      database.ownerUrl,
      "SELECT count(*)::int AS n FROM entities WHERE code = 'DURING'",
    );
    expect(stored.rows[0]).toEqual({ n: 0 });
  });

  it('keeps events pending while sealing fails', async () => {
    const sealer = startAuditSealer(testApp.database.db, silentLogger, 20);
    try {
      // Occupy the next sequence number behind the chain head's back, so
      // sealing collides with it.
      await ownerQuery(database.ownerUrl, 'SELECT audit_seal_pending(1000)');
      await ownerQuery(
        database.ownerUrl,
        `INSERT INTO audit_events (seq, occurred_at, actor_type, channel, action, outcome, details_jcs, prev_hash, hash)
         SELECT last_seq + 1, now(), 'system', 'cli', 'user.created', 'success', '{}', sha256(''), sha256('x')
         FROM audit_chain_head`,
      );
      expect((await createEntity('PENDING')).statusCode).toBe(200);
      await waitFor(() => sealer.lastError() !== null);

      await expect(sealerCheck(sealer).run()).rejects.toThrow('cannot be sealed');
      const pending = await ownerQuery(
        database.ownerUrl,
        'SELECT count(*)::int AS n FROM audit_pending',
      );
      expect(pending.rows[0]).toEqual({ n: 1 });
      const search = await testApp.app.inject({
        method: 'GET',
        url: '/api/v1/audit/events',
        headers: { 'x-test-user': ADMIN },
      });
      expect(search.statusCode).toBe(503);
    } finally {
      await sealer.stop().catch(() => undefined);
    }
  });
});

describe('denial floods', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database);
  });
  afterAll(async () => {
    await testApp?.close();
    await database?.drop();
  });

  it('are counted past the limit', async () => {
    const events = createSecurityEvents(
      { db: testApp.database.db, logger: silentLogger },
      { burst: 5, perSecond: 0.001 },
      3_600_000,
    );
    const flooder = {
      type: 'user',
      userId: '00000000-0000-4000-8000-00000000f100',
      email: 'f@example.com',
      channel: 'api',
    } as const;
    const other = { ...flooder, userId: '00000000-0000-4000-8000-00000000f200' };

    for (let attempt = 0; attempt < 50; attempt += 1) {
      await events.recordDenial({
        actor: flooder,
        action: 'authorization.denied',
        outcome: 'denied',
        reasonCode: 'ROLE_REQUIRED',
      });
    }
    await events.recordDenial({
      actor: other,
      action: 'authorization.denied',
      outcome: 'denied',
      reasonCode: 'ROLE_REQUIRED',
    });
    await events.close();

    await ownerQuery(database.ownerUrl, 'SELECT audit_seal_pending(1000)');
    const rows = await ownerQuery(
      database.ownerUrl,
      'SELECT actor_id, action, details FROM audit_events ORDER BY seq',
    );
    const singly = rows.rows.filter((row) => row.action === 'authorization.denied');
    const summaries = rows.rows.filter((row) => row.action === 'audit.denials_suppressed');
    expect(singly.filter((row) => row.actor_id === flooder.userId)).toHaveLength(5);
    expect(singly.filter((row) => row.actor_id === other.userId)).toHaveLength(1);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({
      actor_id: flooder.userId,
      details: { suppressedCount: 45, actions: ['authorization.denied'] },
    });
  });
});
