import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSignedExportService } from '../../src/modules/audit-trail/export/signed-export.service.ts';
import { verifyExport } from '../../src/modules/audit-trail/export/verify-export.ts';
import { sealPendingEvents } from '../../src/modules/audit-trail/sealing/seal-pending.ts';
import type { Actor } from '../../src/modules/identity/actor.ts';
import { readEd25519PublicKey } from '../../src/platform/keys/signing-key.ts';
import { createLogger } from '../../src/platform/logging/logger.ts';
import {
  AUDIT_ADMIN as ADMIN,
  AUDIT_MANAGER as MANAGER,
  AUDIT_READER as READER,
  seedAuditReaders,
} from '../support/audit-readers.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

interface ExportedEvent {
  seq: number;
  action: string;
  outcome: string;
  reasonCode: string | null;
  details: Record<string, unknown>;
}

describe('signed audit export over HTTP', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let owner: pg.Client;
  let admin: Actor;
  const directory = mkdtempSync(path.join(tmpdir(), 'peytonix-signed-export-'));

  const get = (url: string, user: string) =>
    testApp.app.inject({ method: 'GET', url, headers: { 'x-test-user': user } });

  const exportEvents = async (outcome: string) => {
    await sealPendingEvents(testApp.database.db);
    const rows = await owner.query<ExportedEvent>(
      `SELECT seq::int AS seq, action, outcome, reason_code AS "reasonCode", details
         FROM audit_events WHERE action = 'audit.exported' AND outcome = $1 ORDER BY seq`,
      [outcome],
    );
    return rows.rows;
  };

  /** Download an export, and wait until its success event has committed. */
  const download = async () => {
    const before = (await exportEvents('success')).length;
    const response = await get('/api/v1/audit/export', ADMIN);
    // The success event commits after the last byte, so just after the response ends.
    await vi.waitFor(async () => {
      const committed = (await exportEvents('success')).length;
      if (committed === before) throw new Error('the export is not committed yet');
    });
    const file = path.join(directory, `export-${Date.now()}-${Math.random()}.jsonl`);
    writeFileSync(file, response.rawPayload);
    return { response, file };
  };

  const publicKey = async () => readEd25519PublicKey((await testApp.checkpointKey()).publicKeyPem);

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    ({ admin, owner } = await seedAuditReaders(testApp));
  });

  afterAll(async () => {
    await owner?.end();
    await testApp?.close();
    await database?.drop();
  });

  it('streams an export that the verifier accepts', async () => {
    const { response, file } = await download();

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/x-ndjson');
    expect(response.headers['content-disposition']).toMatch(
      /^attachment; filename="audit-trail_\d+-events_\d{8}T\d{6}Z\.jsonl"$/,
    );
    expect(response.headers['cache-control']).toBe('no-store');
    const report = await verifyExport(file, await publicKey());
    expect(report.damage).toBeNull();
    expect(report.intact).toBe(true);
    expect(report.events).toBe(Number(response.headers['x-audit-tree-size']));
    expect(report.events).toBeGreaterThan(0);
  });

  it('signs the newest events before exporting', async () => {
    await get('/api/v1/audit/events', ADMIN);
    const head = await owner.query<{ last_seq: string }>('SELECT last_seq FROM audit_chain_head');

    const { file } = await download();

    const report = await verifyExport(file, await publicKey());
    expect(report.signedSize).toBe(report.events);
    expect(report.events).toBeGreaterThanOrEqual(Number(head.rows[0]?.last_seq));
  });

  it('fails verification after one byte is changed', async () => {
    const { file } = await download();
    const bytes = readFileSync(file);
    const at = bytes.indexOf('entity.created');
    bytes[at] = 'E'.charCodeAt(0);
    writeFileSync(file, bytes);

    const report = await verifyExport(file, await publicKey());

    expect(report.intact).toBe(false);
    expect(report.damage?.kind).toBe('changed_event');
  });

  it('audits each export once with outcome success', async () => {
    const before = await exportEvents('success');

    const { response } = await download();

    const after = await exportEvents('success');
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)?.details).toMatchObject({
      format: 'jsonl',
      treeSize: Number(response.headers['x-audit-tree-size']),
      events: Number(response.headers['x-audit-tree-size']),
    });
  });

  it('rejects a subtree grant with 403', async () => {
    const response = await get('/api/v1/audit/export', MANAGER);

    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ code: 'FORBIDDEN' });
    expect(response.json<{ detail: string }>().detail).toContain('organization root');
    expect(response.json<{ detail: string }>().detail).toContain('Download matching events');
  });

  it('rejects a user without audit read with 403', async () => {
    const response = await get('/api/v1/audit/export', READER);

    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('rejects unknown query parameters with 400', async () => {
    const response = await get('/api/v1/audit/export?entityId=x', ADMIN);

    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('aborts a stalled client and audits the failure', async () => {
    const exports = createSignedExportService({
      db: testApp.database.db,
      logger: createLogger('silent'),
      securityEvents: testApp.services.securityEvents,
      checkpointKey: () => testApp.checkpointKey(),
      stallTimeoutMs: 200,
    });
    const before = await exportEvents('success');
    // A client that accepts the first chunk and then never reads again.
    const stalledClient = new Writable({ highWaterMark: 1, write: () => undefined });

    const result = exports.exportSignedTrail(admin, () => {
      const stream = new PassThrough();
      stream.pipe(stalledClient);
      return { stream, destination: stalledClient };
    });

    await expect(result).rejects.toBeInstanceOf(Error);
    expect(await exportEvents('success')).toHaveLength(before.length);
    const failures = await exportEvents('failure');
    expect(failures.at(-1)).toMatchObject({ reasonCode: 'OUTPUT_STALLED' });
  });
});
