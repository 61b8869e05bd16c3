import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/modules/access/permissions.ts';
import { childProcesses, hasExited } from '../support/child-processes.ts';
import { addUsersWithGrants, seedBusinessUnit } from '../support/entity-fixtures.ts';
import { type StorageRequest, sendStorageRequest, sha256Of } from '../support/evidence-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const ADMIN = 'ada@example.com';
const PREPARER = 'pia@example.com';
const GRANTS: [string, Role, string][] = [[PREPARER, 'preparer', 'AP']];
const CHILD_SCRIPT = 'import-child.ts';

/** Build a CSV file of one header line and one data row, with `columns` columns. */
function wideCsv(columns: number): Buffer {
  const names = Array.from({ length: columns }, (_, index) => `c${index}`);
  return Buffer.from(`${names.join(',')}\n${names.map(() => '1').join(',')}\n`);
}

/**
 * 4,000 columns take an estimated minute to preview on 2 cores (1,024 took
 * 16 s), far beyond the 5-second preview limit below, so the preview is
 * still running when a test aborts it or checks the limits.
 */
const SLOW_FILE = wideCsv(4000);

describe('dataset upload limits', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, {
      testUserHeader: true,
      env: {
        PEYTONIX_DATASET_MAX_COLUMNS: '4096',
        PEYTONIX_DATASET_PREVIEW_TIMEOUT_SECONDS: '5',
        PEYTONIX_DATASET_MAX_CONCURRENT_IMPORTS: '1',
      },
    });
    await seedBusinessUnit(testApp, {
      adminEmail: ADMIN,
      outsiderEmail: 'otto@example.com',
      code: 'AP',
      name: 'Payables',
    });
    await addUsersWithGrants(testApp, GRANTS);
    baseUrl = await testApp.app.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await testApp?.close();
    await database?.drop();
  });

  afterEach(async () => {
    await waitFor(() => childProcesses(process.pid, CHILD_SCRIPT).length === 0);
  });

  const post = async (url: string, payload: Record<string, unknown>) => {
    const response = await testApp.app.inject({
      method: 'POST',
      url,
      headers: { 'x-test-user': PREPARER },
      payload,
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: response.json() as Record<string, unknown>,
    };
  };

  const uploaded = async (file: Buffer, fileName: string) => {
    const declared = await post('/api/v1/datasets/uploads', {
      entity: 'AP',
      datasetName: fileName,
      fileName,
      size: file.length,
      sha256: sha256Of(file),
    });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    const put = await sendStorageRequest(testApp, declared.body.upload as StorageRequest, file);
    expect(put.status).toBe(200);
    return declared.body.uploadId as string;
  };

  const preview = (uploadId: string) => post(`/api/v1/datasets/uploads/${uploadId}/preview`, {});

  it('rejects a file wider than the column limit', async () => {
    const uploadId = await uploaded(wideCsv(5000), 'wide.csv');

    const response = await preview(uploadId);

    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({
      code: 'IMPORT_REJECTED',
      reason: 'TOO_MANY_COLUMNS',
      fileName: 'wide.csv',
    });
    expect(response.body.detail).toBe(
      'wide.csv has 5000 columns, more than the 4096 an import takes. Remove the columns the tests do not need, or split the file into files with fewer columns.',
    );
  });

  it('stops a preview at its time limit', async () => {
    const timeLimitLogs = () =>
      testApp.logLines.filter(
        (line) => line.msg === 'import process exceeded its time limit and was killed',
      ).length;
    const before = timeLimitLogs();

    const uploadId = await uploaded(SLOW_FILE, 'slow.csv');

    const response = await preview(uploadId);

    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: 'IMPORT_REJECTED', reason: 'RESOURCE_LIMIT' });
    expect(response.body.detail).toContain(
      'slow.csv: the preview timed out after 5 seconds and was stopped.',
    );
    expect(timeLimitLogs()).toBe(before + 1);
    expect(childProcesses(process.pid, CHILD_SCRIPT)).toEqual([]);
  });

  it('rejects a preview past the concurrency limit', async () => {
    const slowId = await uploaded(SLOW_FILE, 'slow.csv');
    const smallId = await uploaded(wideCsv(3), 'small.csv');
    const running = preview(slowId);
    await waitFor(() => childProcesses(process.pid, CHILD_SCRIPT).length === 1);

    const rejected = await preview(smallId);
    const slow = await running;
    const after = await preview(smallId);

    expect(rejected.status).toBe(429);
    expect(rejected.headers['retry-after']).toBe('15');
    expect(rejected.body).toMatchObject({ code: 'RATE_LIMITED' });
    expect(rejected.body.detail).toBe(
      '1 dataset imports and previews are already running on this server, the most it runs at once (PEYTONIX_DATASET_MAX_CONCURRENT_IMPORTS). Retry the preview in 15 seconds.',
    );
    expect(slow.body).toMatchObject({ reason: 'RESOURCE_LIMIT' });
    expect(after.status, JSON.stringify(after.body)).toBe(200);
  });

  it('kills the preview process when the client disconnects', async () => {
    const uploadId = await uploaded(SLOW_FILE, 'slow.csv');
    const client = new AbortController();
    const timeLimitKills = testApp.logLines.filter(
      (line) => line.msg === 'import process exceeded its time limit and was killed',
    ).length;

    const request = fetch(`${baseUrl}/api/v1/datasets/uploads/${uploadId}/preview`, {
      method: 'POST',
      headers: { 'x-test-user': PREPARER, 'content-type': 'application/json' },
      body: '{}',
      signal: client.signal,
    }).catch((error: unknown) => error);
    await waitFor(() => childProcesses(process.pid, CHILD_SCRIPT).length === 1);
    const [pid] = childProcesses(process.pid, CHILD_SCRIPT);
    client.abort();

    expect(await request).toBeInstanceOf(Error);
    await waitFor(() => hasExited(pid as number));
    // The supervisor logs the stop once it has seen the child's exit, which can come later.
    const stopped = 'import process was stopped on request';
    await waitFor(() => testApp.logLines.some((line) => line.msg === stopped));
    const messages = testApp.logLines.map((line) => line.msg);
    expect(messages).toContain('client closed the connection; stopping the dataset preview');
    expect(
      messages.filter((msg) => msg === 'import process exceeded its time limit and was killed'),
    ).toHaveLength(timeLimitKills);
  });
});
