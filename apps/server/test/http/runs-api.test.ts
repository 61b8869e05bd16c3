import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { boundParametersSchema } from '@peytonix/contracts';
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

describe('runs API', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let adminId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    const admin = await seedBusinessUnit(testApp, {
      adminEmail: ADMIN,
      outsiderEmail: OUTSIDER,
      code: 'AP',
      name: 'Payables',
    });
    adminId = admin.type === 'user' ? admin.userId : '';
    const { services } = testApp;
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'peytonix-runs-api-')), 'payments.csv');
    writeFileSync(
      file,
      'vendor_id,invoice_number,amount,payment_date\nV1,A1,10.00,2024-01-01\nV1,A1,10.00,2024-01-02\n',
    );
    await services.datasets.importFile(admin, {
      entityCode: 'AP',
      datasetName: 'Payments',
      filePath: file,
      fileName: 'payments.csv',
    });
  });

  afterAll(async () => {
    await testApp.close();
    await database.drop();
  });

  const call = (
    method: 'GET' | 'POST',
    url: string,
    user: string,
    payload?: Record<string, unknown>,
  ) =>
    testApp.app.inject({
      method,
      url,
      headers: { 'x-test-user': user },
      ...(payload ? { payload } : {}),
    });

  it('queues a run that a worker executes, and shows it', async () => {
    const queued = await call('POST', '/api/v1/runs', ADMIN, {
      entity: 'AP',
      test: 'duplicate-payments-exact',
      inputs: { payments: { dataset: 'Payments' } },
    });
    expect(queued.statusCode, queued.body).toBe(202);
    const { runId } = queued.json() as { runId: string };

    await testApp.services.runs.execute(runId, adminId);
    const shown = await call('GET', `/api/v1/runs/${runId.toUpperCase()}`, ADMIN);
    const rows = await call('GET', `/api/v1/runs/${runId}/rows`, ADMIN);

    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({ status: 'succeeded', exceptionCount: 1, runNumber: 1 });
    expect(rows.json()).toMatchObject({ preview: false, rows: [{ occurrence: 'new' }] });
  });

  it('shows the parameter values a run bound', async () => {
    const queued = await call('POST', '/api/v1/runs', ADMIN, {
      entity: 'AP',
      test: 'duplicate-payments-likely',
      inputs: { payments: { dataset: 'Payments' } },
      parameters: { window_days: '7' },
    });
    expect(queued.statusCode, queued.body).toBe(202);
    const { runId } = queued.json() as { runId: string };

    await testApp.services.runs.execute(runId, adminId);
    const shown = await call('GET', `/api/v1/runs/${runId}`, ADMIN);

    expect(shown.statusCode, shown.body).toBe(200);
    expect(boundParametersSchema.parse(shown.json().parameters)).toEqual([
      { name: 'window_days', type: 'integer', value: '7' },
    ]);
  });

  it('refuses a user without any grant, and hides runs outside the scope', async () => {
    const { runId } = await testApp.services.runs.request(
      {
        type: 'user',
        userId: (
          await testApp.database.db
            .selectFrom('users')
            .select('id')
            .where('email', '=', ADMIN)
            .executeTakeFirstOrThrow()
        ).id,
        email: ADMIN,
        channel: 'api',
      },
      {
        entityCode: 'AP',
        test: 'duplicate-payments-exact',
        inputs: { payments: { dataset: 'Payments' } },
        fieldMap: {},
        parameters: {},
        preview: true,
        via: 'api',
      },
    );

    const ungranted = await call('GET', `/api/v1/runs/${runId}`, OUTSIDER);
    await createEntityDirectly(testApp.ownerUrl, {
      code: 'ELSEWHERE',
      parentCode: 'ORG',
      type: 'business_unit',
    });
    await grantRoleDirectly(testApp.ownerUrl, {
      email: OUTSIDER,
      role: 'preparer',
      entityCode: 'ELSEWHERE',
    });

    const response = await call('GET', `/api/v1/runs/${runId}`, OUTSIDER);
    const queued = await call('POST', '/api/v1/runs', OUTSIDER, {
      entity: 'AP',
      test: 'duplicate-payments-exact',
      inputs: { payments: { dataset: 'Payments' } },
    });

    expect(ungranted.statusCode).toBe(403);
    expect(response.statusCode).toBe(404);
    expect(queued.statusCode).toBe(404);
  });

  it('re-performs a run with the same result hash', async () => {
    const queued = await call('POST', '/api/v1/runs', ADMIN, {
      entity: 'AP',
      test: 'duplicate-payments-exact',
      inputs: { payments: { dataset: 'Payments' } },
    });
    const { runId } = queued.json() as { runId: string };
    await testApp.services.runs.execute(runId, adminId);

    const again = await call('POST', `/api/v1/runs/${runId}/reperform`, ADMIN);
    const { runId: repeatId } = again.json() as { runId: string };
    await testApp.services.runs.execute(repeatId, adminId);
    const original = (await call('GET', `/api/v1/runs/${runId}`, ADMIN)).json() as {
      resultHash: string;
    };
    const repeat = (await call('GET', `/api/v1/runs/${repeatId}`, ADMIN)).json() as {
      resultHash: string;
      reperformsRunId: string;
      preview: boolean;
    };

    expect(again.statusCode).toBe(202);
    expect(repeat.reperformsRunId).toBe(runId);
    expect(repeat.preview).toBe(true);
    expect(repeat.resultHash).toBe(original.resultHash);
  });

  it('lists run history newest first, filtered and paged', async () => {
    const requested: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const queued = await call('POST', '/api/v1/runs', ADMIN, {
        entity: 'AP',
        test: 'duplicate-payments-exact',
        inputs: { payments: { dataset: 'Payments' } },
      });
      requested.push((queued.json() as { runId: string }).runId);
    }

    const first = await call('GET', '/api/v1/runs?entity=AP&status=queued&limit=2', ADMIN);
    const firstBody = first.json() as { items: { runId: string }[]; next: string | null };
    const second = await call(
      'GET',
      `/api/v1/runs?entity=AP&status=queued&limit=2&after=${firstBody.next}`,
      ADMIN,
    );
    const secondBody = second.json() as { items: { runId: string }[]; next: string | null };
    const listed = [...firstBody.items, ...secondBody.items].map((item) => item.runId);

    expect(first.statusCode).toBe(200);
    expect(listed.slice(0, 3)).toEqual([...requested].reverse());
    expect(firstBody.items).toHaveLength(2);
    expect((await call('GET', '/api/v1/runs?status=done', ADMIN)).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/runs?after=forged', ADMIN)).statusCode).toBe(400);
  });

  it('hides run history outside the scope', async () => {
    const listed = await call('GET', '/api/v1/runs', OUTSIDER);
    const body = listed.json() as { items: { entityCode: string }[] };

    expect(listed.statusCode).toBe(200);
    expect(body.items.every((item) => item.entityCode !== 'AP')).toBe(true);
    expect((await call('GET', '/api/v1/runs?entity=AP', OUTSIDER)).statusCode).toBe(404);
  });

  it('rejects unknown inputs and malformed bodies', async () => {
    const unknown = await call('POST', '/api/v1/runs', ADMIN, {
      entity: 'AP',
      test: 'duplicate-payments-exact',
      inputs: { payments: { dataset: 'Payments' }, extra: { dataset: 'Payments' } },
    });
    const malformed = await call('POST', '/api/v1/runs', ADMIN, {
      entity: 'AP',
      test: 'DROP TABLE',
      inputs: {},
    });

    expect(unknown.statusCode).toBe(400);
    expect(malformed.statusCode).toBe(400);
  });

  it('rejects a field map for an unknown input', async () => {
    const response = await call('POST', '/api/v1/runs', ADMIN, {
      entity: 'AP',
      test: 'duplicate-payments-exact',
      inputs: { payments: { dataset: 'Payments' } },
      fieldMap: { 'invoices.vendor_id': 'vendor_id' },
      preview: true,
    });

    expect(response.statusCode).toBe(400);
    expect((response.json() as { detail: string }).detail).toContain('no input "invoices"');
  });

  it('rejects NUL characters and out-of-range versions with 400', async () => {
    const bodies = [
      { entity: 'A\u0000P', test: 'duplicate-payments-exact', inputs: {} },
      {
        entity: 'AP',
        test: 'duplicate-payments-exact',
        inputs: { payments: { dataset: 'Pay\u0000ments' } },
      },
      {
        entity: 'AP',
        test: 'duplicate-payments-exact',
        inputs: { payments: { dataset: 'Payments', version: 2 ** 40 } },
      },
      {
        entity: 'AP',
        test: 'duplicate-payments-exact',
        inputs: { payments: { dataset: 'Payments' } },
        fieldMap: { vendor_id: 'vendor\u0000id' },
      },
      {
        entity: 'AP',
        test: 'duplicate-payments-exact',
        inputs: { payments: { dataset: 'Payments' } },
        parameters: { days: '1\u0000' },
      },
    ];

    for (const body of bodies) {
      const response = await call('POST', '/api/v1/runs', ADMIN, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
    }
  });

  it('lists the tests and the library', async () => {
    const response = await call('GET', '/api/v1/tests', ADMIN);

    expect(response.statusCode).toBe(200);
    expect((response.json() as { templates: unknown[] }).templates.length).toBeGreaterThanOrEqual(
      12,
    );
  });

  it('filters the tests by entity subtree', async () => {
    await createEntityDirectly(testApp.ownerUrl, {
      code: 'NO-TESTS',
      parentCode: 'ORG',
      type: 'business_unit',
    });
    type Listing = { tests: { key: string; entityCode: string }[]; templates: unknown[] };
    const all = (await call('GET', '/api/v1/tests', ADMIN)).json() as Listing;

    const ap = await call('GET', '/api/v1/tests?entity=AP', ADMIN);
    const empty = await call('GET', '/api/v1/tests?entity=NO-TESTS', ADMIN);
    const missing = await call('GET', '/api/v1/tests?entity=NOPE', ADMIN);
    const unknown = await call('GET', '/api/v1/tests?bogus=1', ADMIN);

    expect(ap.statusCode).toBe(200);
    expect((ap.json() as Listing).tests).toEqual(
      all.tests.filter((test) => test.entityCode === 'AP'),
    );
    expect((ap.json() as Listing).tests.length).toBeGreaterThan(0);
    expect(empty.statusCode).toBe(200);
    expect((empty.json() as Listing).tests).toEqual([]);
    expect((empty.json() as Listing).templates).toEqual(all.templates);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    expect(unknown.statusCode).toBe(400);
    expect(JSON.stringify(unknown.json())).toContain('bogus');
  });

  it('lists the inputs and parameters a test needs', async () => {
    const listing = (await call('GET', '/api/v1/tests', ADMIN)).json() as {
      tests: { key: string; inputs: { name: string; fields: { name: string }[] }[] | null }[];
      templates: {
        key: string;
        inputs: { name: string; fields: { name: string; required: boolean }[] }[];
        parameters: { name: string; type: string; default: unknown }[];
      }[];
    };
    const template = listing.templates.find((item) => item.key === 'just-below-limit');
    const test = listing.tests.find((item) => item.key === 'duplicate-payments-exact');

    expect(template?.inputs[0]?.fields.length).toBeGreaterThan(0);
    expect(template?.parameters.map((parameter) => parameter.name)).toContain('limit');
    expect(test?.inputs?.[0]?.fields.map((field) => field.name)).toContain('invoice_number');
  });
});
