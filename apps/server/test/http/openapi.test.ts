import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

describe('OpenAPI document', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database);
  });
  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  it('is valid OpenAPI 3.1', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json() as Record<string, unknown>;
    expect(document.openapi).toBe('3.1.0');

    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('lists the public routes', async () => {
    const document = (await testApp.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready', '/api/v1/setup/status']),
    );
  });

  it('marks protected routes with security schemes', async () => {
    const document = (
      await testApp.app.inject({ method: 'GET', url: '/api/openapi.json' })
    ).json() as {
      paths: Record<string, Record<string, { security?: unknown }>>;
    };

    expect(document.paths['/api/v1/account']?.get?.security).toEqual([
      { bearer: [] },
      { cookie: [] },
    ]);
    expect(document.paths['/api/v1/users']?.post?.security).toEqual([
      { bearer: [] },
      { cookie: [] },
    ]);
    expect(document.paths['/api/v1/auth/login']?.post?.security).toBeUndefined();
  });

  it('serves the reference page from local assets', async () => {
    const page = await testApp.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1|localhost)[a-z]/i);
  });
});
