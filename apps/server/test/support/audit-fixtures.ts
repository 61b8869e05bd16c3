import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import type { AuditEventInput } from '../../src/modules/audit-trail/audit-event-input.ts';
import { appendAuditEvent } from '../../src/modules/audit-trail/audit-trail.service.ts';
import { sealPendingEvents } from '../../src/modules/audit-trail/sealing/seal-pending.ts';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { openLocalSigningKey } from '../../src/platform/keys/local-signing-key.ts';
import type { SigningKey } from '../../src/platform/keys/signing-key.ts';
import { migrateDatabase } from '../../src/runtime.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export const silentLogger = pino({ level: 'silent' });

/** Build a realistic event; `index` varies the content so no two are alike. */
export function sampleEvent(index: number): AuditEventInput {
  return {
    actor: {
      type: 'user',
      userId: randomUUID(),
      email: `user${index}@example.com`,
      channel: 'api',
    },
    action: index % 2 === 0 ? 'exception.disposition_proposed' : 'evidence.downloaded',
    outcome: index % 5 === 0 ? 'denied' : 'success',
    ...(index % 5 === 0 ? { reasonCode: 'ROLE_REQUIRED' } : {}),
    target: { type: 'exception', id: randomUUID() },
    context: {
      requestId: `req-${index}`,
      ipAddress: index % 3 === 0 ? '::1' : '127.0.0.1',
      userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156 — “quoted” ✓',
    },
    details: { index, rationale: `Matched to vendor change ${index}.`, amounts: [1.5, -0, 1e21] },
  };
}

/** Append `count` events, one transaction each, then seal them into the chain. */
export async function appendEvents(
  handle: DatabaseHandle,
  count: number,
  offset = 0,
): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    await handle.db
      .transaction()
      .execute((tx) => appendAuditEvent(tx, sampleEvent(offset + index)));
  }
  await sealPendingEvents(handle.db);
}

export function newSigningKey(): Promise<SigningKey> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peytonix-key-'));
  return openLocalSigningKey(dataDir, 'checkpoint.pem', { create: true });
}

/** Create a migrated test database with an app-role pool. */
export async function openAuditDatabase(poolMax = 4): Promise<{
  database: TestDatabase;
  handle: DatabaseHandle;
  close(): Promise<void>;
}> {
  const database = await createTestDatabase();
  await migrateDatabase(database.ownerUrl, silentLogger);
  const handle = openDatabase({
    url: database.appUrl,
    poolMax,
    statementTimeoutMs: 30_000,
    applicationName: 'peytonix-test',
    logger: silentLogger,
  });
  return {
    database,
    handle,
    async close() {
      await handle.close();
      await database.drop();
    },
  };
}

/**
 * Run statements as the table owner with the append-only triggers off,
 * the way a database administrator bent on rewriting history would.
 */
export async function tamper(ownerUrl: string, statements: (client: pg.Client) => Promise<void>) {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
    await client.query('ALTER TABLE audit_checkpoints DISABLE TRIGGER USER');
    await client.query('ALTER TABLE audit_chain_head DISABLE TRIGGER USER');
    await statements(client);
    await client.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
    await client.query('ALTER TABLE audit_checkpoints ENABLE TRIGGER USER');
    await client.query('ALTER TABLE audit_chain_head ENABLE TRIGGER USER');
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}
