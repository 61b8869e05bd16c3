import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealPendingEvents } from '../../src/modules/audit-trail/sealing/seal-pending.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

describe('client address behind a proxy', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { env: { PEYTONIX_TRUST_PROXY: '1' } });
  });

  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  it('takes the address the trusted proxy appended, not the client claim', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: '10.0.0.2',
      headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' },
      payload: { email: 'nobody@example.com', password: 'not-a-password-1', delivery: 'body' },
    });
    expect(response.statusCode).toBe(401);

    await sealPendingEvents(testApp.database.db);
    const events = await testApp.database.db
      .selectFrom('audit_events')
      .select('ip_address')
      .where('action', '=', 'auth.login_failed')
      .execute();
    expect(events.map((event) => event.ip_address)).toEqual(['203.0.113.9']);
    const throttles = await testApp.database.db
      .selectFrom('login_throttles')
      .select('key')
      .where('scope', '=', 'network')
      .execute();
    expect(throttles.map((row) => row.key)).toEqual(['203.0.113.9']);
  });
});
