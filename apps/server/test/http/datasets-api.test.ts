import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEntityDirectly,
  grantRoleDirectly,
  seedBusinessUnit,
} from '../support/entity-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';
const OUTSIDER = 'otto@example.com';

describe('datasets API', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    const admin = await seedBusinessUnit(testApp, {
      adminEmail: ADMIN,
      outsiderEmail: OUTSIDER,
      code: 'AP',
      name: 'Payables',
    });
    const { services } = testApp;

    const file = path.join(
      mkdtempSync(path.join(tmpdir(), 'peytonix-datasets-api-')),
      'vendors.csv',
    );
    writeFileSync(file, 'vendor_id,name\n1,Acme\n2,Globex\n');
    await services.datasets.importFile(admin, {
      entityCode: 'AP',
      datasetName: 'Vendors',
      filePath: file,
      fileName: 'vendors.csv',
    });
  });

  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  const get = (url: string, user: string) =>
    testApp.app.inject({ method: 'GET', url, headers: { 'x-test-user': user } });

  it('lists the datasets in scope', async () => {
    const response = await get('/api/v1/datasets', ADMIN);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      items: [{ entityCode: 'AP', name: 'Vendors', latestVersion: 1 }],
    });
  });

  it('shows versions with column types', async () => {
    const response = await get('/api/v1/datasets/by-name?entity=AP&name=vendors', ADMIN);

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      name: 'Vendors',
      versions: [
        {
          version: 1,
          rowCount: 2,
          columns: [
            { name: 'vendor_id', type: 'BIGINT' },
            { name: 'name', type: 'VARCHAR' },
          ],
        },
      ],
    });
  });

  it('rejects NUL characters in the lookup with 400', async () => {
    for (const query of ['entity=A%00P&name=Vendors', 'entity=AP&name=Ven%00dors']) {
      const response = await get(`/api/v1/datasets/by-name?${query}`, ADMIN);
      expect(response.statusCode, query).toBe(400);
    }
  });

  it('refuses a user without any grant, and hides datasets outside the scope', async () => {
    const ungranted = await get('/api/v1/datasets', OUTSIDER);
    await createEntityDirectly(testApp.ownerUrl, {
      code: 'ELSEWHERE',
      parentCode: 'ORG',
      type: 'business_unit',
    });
    await grantRoleDirectly(testApp.ownerUrl, {
      email: OUTSIDER,
      role: 'read_only',
      entityCode: 'ELSEWHERE',
    });

    const list = await get('/api/v1/datasets', OUTSIDER);
    const shown = await get('/api/v1/datasets/by-name?entity=AP&name=Vendors', OUTSIDER);

    expect(ungranted.statusCode).toBe(403);
    expect(list.json()).toEqual({ items: [] });
    expect(shown.statusCode).toBe(404);
  });
});
