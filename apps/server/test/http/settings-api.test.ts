import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Organization,
  seedOrganization,
  USERS,
  type UserName,
} from '../support/governance-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

interface ChangeRequestBody {
  id: string;
  requestedAt: string;
  expiresAt: string;
  diffSha256: string;
}

const TTL = 'change_requests.ttl_hours';

describe('settings API', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let org: Organization;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    org = await seedOrganization(testApp, database.ownerUrl);
  });

  afterAll(async () => {
    await org?.owner.end();
    await testApp?.close();
    await database?.drop();
  });

  const call = (method: 'GET' | 'POST', url: string, user: UserName, payload?: object) =>
    testApp.app.inject({
      method,
      url,
      headers: { 'x-test-user': USERS[user] },
      ...(payload === undefined ? {} : { payload }),
    });

  const requestChange = (user: UserName, value: unknown, key = TTL) =>
    call('POST', `/api/v1/settings/${key}/change-requests`, user, {
      value,
      justification: 'Shorter approval window.',
    });

  it('list shows the default before any change', async () => {
    const response = await call('GET', '/api/v1/settings', 'mia');

    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      items: [
        {
          key: TTL,
          description: expect.any(String),
          value: 168,
          defaultValue: 168,
          version: 0,
          updatedAt: null,
          changeRequestId: null,
        },
        {
          key: 'exceptions.due_days',
          description: expect.any(String),
          value: { critical: 7, high: 14, medium: 30, low: 60 },
          defaultValue: { critical: 7, high: 14, medium: 30, low: 60 },
          version: 0,
          updatedAt: null,
          changeRequestId: null,
        },
      ],
    });
  });

  it('list needs settings.read on the root', async () => {
    const scopedAdministrator = await call('GET', '/api/v1/settings', 'carl');
    const preparer = await call('GET', '/api/v1/settings', 'pat');

    expect(scopedAdministrator.statusCode).toBe(403);
    expect(scopedAdministrator.json().code).toBe('FORBIDDEN');
    expect(preparer.statusCode).toBe(403);
  });

  it('invalid values are rejected', async () => {
    for (const value of [0, 721, 1.5, '24', null, { hours: 24 }]) {
      const response = await requestChange('ada', value);

      expect(response.statusCode, JSON.stringify(value)).toBe(400);
      expect(response.json().code).toBe('VALIDATION_FAILED');
    }
  });

  it('unknown key is not found', async () => {
    const response = await requestChange('ada', 24, 'runs.unknown_limit');

    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('RESOURCE_NOT_FOUND');
  });

  it('change request needs settings.request on the root', async () => {
    const scopedAdministrator = await requestChange('carl', 24);
    const manager = await requestChange('mia', 24);

    expect(scopedAdministrator.statusCode).toBe(403);
    expect(manager.statusCode).toBe(403);
  });

  it('unchanged value is rejected', async () => {
    const response = await requestChange('ada', 168);

    expect(response.statusCode).toBe(422);
    expect(response.json().code).toBe('BUSINESS_RULE_VIOLATED');
  });

  it('approved value sets the lifetime of new requests', async () => {
    const created = await requestChange('ada', 2);
    expect(created.statusCode, created.body).toBe(201);
    const request = created.json() as ChangeRequestBody;
    const approval = await call('POST', `/api/v1/change-requests/${request.id}/approve`, 'bob', {
      diffSha256: request.diffSha256,
      note: 'Agreed for the pilot.',
    });
    expect(approval.statusCode, approval.body).toBe(200);

    const listed = await call('GET', '/api/v1/settings', 'ada');
    expect(listed.json().items).toContainEqual(
      expect.objectContaining({ key: TTL, value: 2, version: 1, changeRequestId: request.id }),
    );

    const next = (await requestChange('ada', 24)).json() as ChangeRequestBody;
    const hours = (Date.parse(next.expiresAt) - Date.parse(next.requestedAt)) / 3_600_000;
    expect(hours).toBeCloseTo(2, 3);
  });
});
