import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addUsersWithGrants,
  createEntityDirectly,
  grantRoleDirectly,
  seedBusinessUnit,
} from '../support/entity-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';
const OUTSIDER = 'otto@example.com';
const AP_READER = 'rita@example.com';

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
    await createEntityDirectly(testApp.ownerUrl, {
      code: 'AR',
      parentCode: 'ORG',
      type: 'business_unit',
    });
    await services.datasets.importFile(admin, {
      entityCode: 'AR',
      datasetName: 'Customers',
      filePath: file,
      fileName: 'customers.csv',
    });
    await addUsersWithGrants(testApp, [[AP_READER, 'read_only', 'AP']]);
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
      items: [
        { entityCode: 'AP', name: 'Vendors', latestVersion: 1 },
        { entityCode: 'AR', name: 'Customers', latestVersion: 1 },
      ],
    });
  });

  it('filters the list by entity subtree', async () => {
    const names = async (query: string) => {
      const response = await get(`/api/v1/datasets?${query}`, ADMIN);
      expect(response.statusCode, query).toBe(200);
      return (response.json() as { items: { name: string }[] }).items.map((item) => item.name);
    };

    expect(await names('entity=AP')).toEqual(['Vendors']);
    expect(await names('entity=ar')).toEqual(['Customers']);
    expect(await names('entity=ORG')).toEqual(['Vendors', 'Customers']);
  });

  it('reports an entity outside the scope as not found', async () => {
    const outside = await get('/api/v1/datasets?entity=AR', AP_READER);
    const missing = await get('/api/v1/datasets?entity=NOPE', ADMIN);

    expect(outside.statusCode).toBe(404);
    expect(outside.json()).toMatchObject({
      code: 'RESOURCE_NOT_FOUND',
      detail: 'No entity "AR" is visible to you. List entities with GET /api/v1/entities.',
    });
    expect(missing.statusCode).toBe(404);
  });

  it('rejects an unknown query parameter', async () => {
    const response = await get('/api/v1/datasets?bogus=1', ADMIN);

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(JSON.stringify(response.json())).toContain('bogus');
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
