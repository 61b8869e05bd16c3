import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RouteModule } from '../../src/app.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

/** Register a route with a zod body and routes that fail, to drive the error pipeline. */
const probeRoutes: RouteModule = (app) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.post(
    '/api/v1/probe',
    {
      config: { permission: 'public' },
      schema: {
        body: z.strictObject({ name: z.string().min(1), count: z.number().int().max(10) }),
        response: { 200: z.object({ name: z.string() }) },
      },
    },
    async (request) => ({ name: request.body.name, secretField: 'must not leave' }),
  );
  typed.get('/api/v1/probe/deadlock', { config: { permission: 'public' } }, async () => {
    throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
  });
  typed.get('/api/v1/probe/crash', { config: { permission: 'public' } }, async () => {
    throw new Error('boom at /srv/peytonix/internal.ts:42 password=hunter2');
  });
  typed.get(
    '/api/v1/probe/bad-response',
    {
      config: { permission: 'public' },
      schema: { response: { 200: z.object({ count: z.number() }) } },
    },
    async () => ({ count: 'not a number' }) as unknown as { count: number },
  );
};

function expectProblem(
  response: { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
  code: string,
) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  expect(typeof body.detail).toBe('string');
  expect(body.requestId).toBe(response.headers['x-request-id']);
  expect(response.body).not.toMatch(/at .*\.ts:\d+|stack|hunter2|node_modules/);
  return body;
}

describe('error responses', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, {
      routeModules: [probeRoutes],
      env: { PEYTONIX_BODY_LIMIT_BYTES: '2048' },
    });
  });
  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  it('deadlock is CONFLICT, to retry', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/api/v1/probe/deadlock' });
    const body = expectProblem(response, 409, 'CONFLICT');
    expect(body.detail).toContain('Retry');
  });

  it('unknown route is ROUTE_NOT_FOUND', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    const body = expectProblem(response, 404, 'ROUTE_NOT_FOUND');
    expect(body.detail).toContain('/api/v1/nothing-here');
  });

  it('undecodable URL is VALIDATION_FAILED', async () => {
    const response = await testApp.app.inject({
      method: 'GET',
      url: '/api/v1/audit/events/%ff/inclusion-proof',
    });
    const body = expectProblem(response, 400, 'VALIDATION_FAILED');
    expect(body.detail).toContain('percent-encoding');
  });

  it('invalid body is VALIDATION_FAILED with field errors', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      payload: { name: '', count: 11 },
    });
    const body = expectProblem(response, 400, 'VALIDATION_FAILED');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '/name' }),
        expect.objectContaining({ path: '/count' }),
      ]),
    );
  });

  it('unknown body field is VALIDATION_FAILED', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      payload: { name: 'a', count: 1, role: 'administrator' },
    });
    expectProblem(response, 400, 'VALIDATION_FAILED');
  });

  it('malformed JSON is MALFORMED_BODY', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "a", ',
    });
    expectProblem(response, 400, 'MALFORMED_BODY');
  });

  it('oversized body is BODY_TOO_LARGE', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      payload: { name: 'x'.repeat(5000), count: 1 },
    });
    expectProblem(response, 413, 'BODY_TOO_LARGE');
  });

  it('wrong content type is UNSUPPORTED_MEDIA_TYPE', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      headers: { 'content-type': 'application/xml' },
      payload: '<name>a</name>',
    });
    expectProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('unexpected error is INTERNAL_ERROR without detail', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/api/v1/probe/crash' });
    expectProblem(response, 500, 'INTERNAL_ERROR');

    const logged = testApp.logLines.find((line) => line.msg === 'request failed');
    expect(logged?.level).toBe('error');
    expect(JSON.stringify(logged)).toContain('boom');
  });

  it('response outside its schema is INTERNAL_ERROR', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/api/v1/probe/bad-response' });
    expectProblem(response, 500, 'INTERNAL_ERROR');
  });

  it('response schema strips fields it does not list', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/api/v1/probe',
      payload: { name: 'a', count: 1 },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ name: 'a' });
  });

  it('echoes a safe X-Request-Id and replaces an unsafe one', async () => {
    const safe = await testApp.app.inject({
      method: 'GET',
      url: '/nope',
      headers: { 'x-request-id': 'lb-1234abcd' },
    });
    expect(safe.headers['x-request-id']).toBe('lb-1234abcd');
    expect(safe.json().requestId).toBe('lb-1234abcd');

    const unsafe = await testApp.app.inject({
      method: 'GET',
      url: '/nope',
      headers: { 'x-request-id': 'x\n{"level":"fatal"}' },
    });
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers', async () => {
    const response = await testApp.app.inject({ method: 'GET', url: '/health/live' });
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toContain('max-age=');
  });

  it('logs no authorization header or cookie', async () => {
    await testApp.app.inject({
      method: 'GET',
      url: '/api/v1/nothing',
      headers: { authorization: 'Bearer super-secret-token', cookie: 'session=abc123secret' },
    });
    const text = JSON.stringify(testApp.logLines);
    expect(text).not.toContain('super-secret-token');
    expect(text).not.toContain('abc123secret');
  });
});

describe('rate limiting', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { env: { PEYTONIX_RATE_LIMIT_MAX: '3' } });
  });
  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  it('answers RATE_LIMITED with Retry-After past the limit', async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof testApp.app.inject>> | undefined;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      last = await testApp.app.inject({ method: 'GET', url: '/api/v1/setup/status' });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last?.headers['retry-after']).toBeDefined();
    expect(last?.json().code).toBe('RATE_LIMITED');
  });
});
