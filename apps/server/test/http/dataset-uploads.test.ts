import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/modules/access/permissions.ts';
import {
  addUsersWithGrants,
  createEntityDirectly,
  seedBusinessUnit,
} from '../support/entity-fixtures.ts';
import { type StorageRequest, sendStorageRequest, sha256Of } from '../support/evidence-fixtures.ts';
import { auditEvents } from '../support/governance-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';
const PREPARER = 'pia@example.com';
const READER = 'rob@example.com';
const OUTSIDER = 'oscar@example.com';

const GRANTS: [string, Role, string][] = [
  [PREPARER, 'preparer', 'AP'],
  [READER, 'read_only', 'AP'],
  [OUTSIDER, 'preparer', 'OUT'],
];

const PAYMENTS = Buffer.from(
  'vendor_id;amount;payment_date\nV1;10,50;03/04/2024\nV2;1.234,00;04/04/2024\nV3;99,99;05/04/2024\n',
);

/** 03/04/2024 reads either way, so every import of PAYMENTS names the order. */
const DAY_FIRST = { options: { dayFirst: true } };

describe('dataset uploads', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let owner: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    await seedBusinessUnit(testApp, {
      adminEmail: ADMIN,
      outsiderEmail: 'otto@example.com',
      code: 'AP',
      name: 'Payables',
    });
    await createEntityDirectly(testApp.ownerUrl, {
      code: 'OUT',
      parentCode: 'ORG',
      type: 'business_unit',
    });
    await addUsersWithGrants(testApp, GRANTS);
    owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
  });

  afterAll(async () => {
    await owner?.end();
    await testApp?.close();
    await database?.drop();
  });

  const call = async (method: 'GET' | 'POST', url: string, user: string, payload?: unknown) => {
    const response = await testApp.app.inject({
      method,
      url,
      headers: { 'x-test-user': user },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> };
  };

  const declare = (file: Buffer, overrides: Record<string, unknown> = {}, user = PREPARER) =>
    call('POST', '/api/v1/datasets/uploads', user, {
      entity: 'AP',
      datasetName: 'Payments',
      fileName: 'payments.csv',
      size: file.length,
      sha256: sha256Of(file),
      ...overrides,
    });

  const uploaded = async (file: Buffer, datasetName = 'Payments') => {
    const declared = await declare(file, { datasetName });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    const put = await sendStorageRequest(testApp, declared.body.upload as StorageRequest, file);
    expect(put.status).toBe(200);
    return declared.body.uploadId as string;
  };

  it('previews, then imports an uploaded file', async () => {
    const uploadId = await uploaded(PAYMENTS, 'Payments preview');

    const preview = await call('POST', `/api/v1/datasets/uploads/${uploadId}/preview`, PREPARER, {
      options: { dayFirst: true },
    });
    const imported = await call('POST', `/api/v1/datasets/uploads/${uploadId}/import`, PREPARER, {
      options: { dayFirst: true },
    });

    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toMatchObject({ format: 'csv', rowCount: 3 });
    expect(preview.body.rows).toEqual([
      ['V1', '10.50', '2024-04-03'],
      ['V2', '1234.00', '2024-04-04'],
      ['V3', '99.99', '2024-04-05'],
    ]);
    expect(
      (preview.body.columns as { name: string; type: string }[]).map((column) => column.type),
    ).toEqual(['VARCHAR', 'DECIMAL(18,2)', 'DATE']);
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    expect(imported.body).toMatchObject({
      datasetName: 'Payments preview',
      version: 1,
      rowCount: 3,
      sha256: sha256Of(PAYMENTS),
    });
  });

  it('deletes the staged object and refuses a second import', async () => {
    const uploadId = await uploaded(PAYMENTS, 'Payments once');
    const { rows } = await owner.query<{ object_key: string }>(
      'SELECT object_key FROM dataset_uploads WHERE id = $1',
      [uploadId],
    );

    const first = await call(
      'POST',
      `/api/v1/datasets/uploads/${uploadId}/import`,
      PREPARER,
      DAY_FIRST,
    );
    const second = await call(
      'POST',
      `/api/v1/datasets/uploads/${uploadId}/import`,
      PREPARER,
      DAY_FIRST,
    );

    expect(first.status).toBe(201);
    expect(second.status).toBe(409);
    const storage = await testApp.services.storage();
    expect(await storage.head(rows[0]?.object_key ?? '')).toBeNull();
  });

  it('rejects a description with a NUL, then imports', async () => {
    const uploadId = await uploaded(PAYMENTS, 'Payments described');
    const path = `/api/v1/datasets/uploads/${uploadId}/import`;

    const rejected = await call('POST', path, PREPARER, {
      ...DAY_FIRST,
      description: 'Paid in \u0000 March',
    });
    const imported = await call('POST', path, PREPARER, {
      ...DAY_FIRST,
      description: 'Paid in March',
    });

    expect(rejected.status).toBe(400);
    expect(JSON.stringify(rejected.body)).toContain('U+0000');
    expect(imported.status).toBe(201);
  });

  it('audits the declaration and the import', async () => {
    const uploadId = await uploaded(PAYMENTS, 'Payments audited');
    await call('POST', `/api/v1/datasets/uploads/${uploadId}/import`, PREPARER, DAY_FIRST);

    const requested = await auditEvents(testApp, owner, 'dataset.upload_requested');
    const imported = await auditEvents(testApp, owner, 'dataset.version_imported');

    expect(requested.some((event) => event.details.uploadId === uploadId)).toBe(true);
    expect(imported.some((event) => event.details.datasetName === 'Payments audited')).toBe(true);
  });

  it('rejects an empty file with a clear message', async () => {
    const response = await declare(Buffer.alloc(0), { fileName: 'empty.csv' });

    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(response.body.detail).toContain(
      'the file is empty (0 bytes); choose a file with a header row and data',
    );
  });

  it('reports a preview before the upload', async () => {
    const declared = await declare(PAYMENTS, { datasetName: 'Payments early' });

    const preview = await call(
      'POST',
      `/api/v1/datasets/uploads/${declared.body.uploadId}/preview`,
      PREPARER,
      {},
    );

    expect(preview.status).toBe(409);
  });

  it('rejects staged bytes with another SHA-256', async () => {
    const declared = await declare(PAYMENTS, { datasetName: 'Payments swapped' });
    const { rows } = await owner.query<{ object_key: string }>(
      'SELECT object_key FROM dataset_uploads WHERE id = $1',
      [declared.body.uploadId],
    );
    // Stored behind the upload URL's back, as someone with storage access could.
    const storage = await testApp.services.storage();
    await storage.put(rows[0]?.object_key ?? '', Buffer.from('vendor_id\nV9\n'));

    const preview = await call(
      'POST',
      `/api/v1/datasets/uploads/${declared.body.uploadId}/preview`,
      PREPARER,
      {},
    );

    expect(preview.status).toBe(422);
    expect(preview.body.reason).toBe('HASH_MISMATCH');
  });

  it('shows the parse error of a bad option', async () => {
    const uploadId = await uploaded(PAYMENTS, 'Payments bad option');

    const preview = await call('POST', `/api/v1/datasets/uploads/${uploadId}/preview`, PREPARER, {
      options: { columnTypes: { amount: 'DATE' } },
    });

    expect(preview.status).toBe(422);
    expect(preview.body.code).toBe('IMPORT_REJECTED');
  });

  it('rejects unknown parse options', async () => {
    const uploadId = await uploaded(PAYMENTS, 'Payments unknown option');

    const preview = await call('POST', `/api/v1/datasets/uploads/${uploadId}/preview`, PREPARER, {
      options: { separator: ';' },
    });

    expect(preview.status).toBe(400);
  });

  it('keeps an outsider and a reader out', async () => {
    const uploadId = await uploaded(PAYMENTS, 'Payments private');

    const outsiderDeclares = await declare(PAYMENTS, {}, OUTSIDER);
    const readerDeclares = await declare(PAYMENTS, {}, READER);
    const outsiderPreviews = await call(
      'POST',
      `/api/v1/datasets/uploads/${uploadId}/preview`,
      OUTSIDER,
      {},
    );
    const readerImports = await call(
      'POST',
      `/api/v1/datasets/uploads/${uploadId}/import`,
      READER,
      {},
    );

    expect(outsiderDeclares.status).toBe(404);
    expect(readerDeclares.status).toBe(403);
    expect(outsiderPreviews.status).toBe(404);
    expect(readerImports.status).toBe(403);
  });
});
