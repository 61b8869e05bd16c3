import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config/load-config.ts';
import { type DatabaseTarget, openDatabaseTarget } from '../../src/platform/db/database-target.ts';
import { applyMigrations, readMigrationFiles } from '../../src/platform/db/migrations.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

describe('readiness with the database stopped', () => {
  let dataDir: string;
  let target: DatabaseTarget;
  let testApp: TestApp;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'peytonix-ready-'));
    target = await openDatabaseTarget(
      loadConfig({ PEYTONIX_DATA_DIR: dataDir }),
      pino({ level: 'silent' }),
      { command: 'test', exclusive: true },
    );
    testApp = await startTestApp(target);
  });
  afterAll(async () => {
    await testApp.close().catch(() => {});
    await target.release();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('turns 503 and data routes return 503', async () => {
    const before = await testApp.app.inject({ method: 'GET', url: '/health/ready' });
    expect(before.statusCode).toBe(200);
    const data = await testApp.app.inject({ method: 'GET', url: '/api/v1/setup/status' });
    expect(data.statusCode).toBe(200);

    await target.release();

    const ready = await testApp.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['content-type']).toContain('application/problem+json');
    expect(ready.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', failedCheck: 'database' });

    const afterStop = await testApp.app.inject({ method: 'GET', url: '/api/v1/setup/status' });
    expect(afterStop.statusCode).toBe(503);
    expect(afterStop.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(afterStop.json()).not.toHaveProperty('initialized');

    const live = await testApp.app.inject({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);
  });
});

describe('readiness with pending migrations', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    const files = readMigrationFiles();
    await applyMigrations(database.ownerUrl, pino({ level: 'silent' }), files.slice(0, -1));
    testApp = await startTestApp(database, { migrate: false });
  });
  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  it('names the migrations check and refuses data routes', async () => {
    const ready = await testApp.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ failedCheck: 'migrations' });
    expect(ready.json().checks[1].detail).toContain('1 migration(s) pending');

    const data = await testApp.app.inject({ method: 'GET', url: '/api/v1/setup/status' });
    expect(data.statusCode).toBe(503);
    expect(data.json()).toMatchObject({ code: 'SCHEMA_NOT_CURRENT' });
  });
});

describe('readiness when healthy', () => {
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

  it('passes every check', async () => {
    const ready = await testApp.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: [
        { name: 'database', status: 'pass' },
        { name: 'migrations', status: 'pass' },
        { name: 'jobs', status: 'pass' },
      ],
    });
  });
});
