import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditEvent } from '../../src/modules/audit-trail/audit-trail.service.ts';
import { createCheckpoint } from '../../src/modules/audit-trail/checkpoints/create-checkpoint.ts';
import { startAuditSealer } from '../../src/modules/audit-trail/sealing/audit-sealer.ts';
import { verifyDatabase } from '../../src/modules/audit-trail/verification/verify-database.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { readEd25519PublicKey } from '../../src/platform/keys/signing-key.ts';
import {
  newSigningKey,
  openAuditDatabase,
  sampleEvent,
  silentLogger,
} from '../support/audit-fixtures.ts';

const WRITERS = 16;
const EVENTS_PER_WRITER = 2000;

describe('concurrent appends', () => {
  let handle: DatabaseHandle;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ handle, close } = await openAuditDatabase(WRITERS));
  });
  afterAll(async () => {
    await close();
  });

  it(`keep one gapless chain with ${WRITERS} writers of ${EVENTS_PER_WRITER} events each`, {
    timeout: 300_000,
  }, async () => {
    const key = await newSigningKey();
    let checkpointsSigned = 0;
    let writing = true;
    // Sealers run alongside the writers: the server's own, and a second
    // one standing for another instance, so they contend for the chain lock.
    const sealers = [
      startAuditSealer(handle.db, silentLogger, 10),
      startAuditSealer(handle.db, silentLogger, 15),
    ];

    // A checkpoint writer runs alongside, so signing is tested under load too.
    const signer = (async () => {
      while (writing) {
        if ((await createCheckpoint(handle.db, key)) !== null) checkpointsSigned += 1;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const writers = Array.from({ length: WRITERS }, async (_, writer) => {
      for (let index = 0; index < EVENTS_PER_WRITER; index += 1) {
        const event = sampleEvent(writer * EVENTS_PER_WRITER + index);
        await handle.db.transaction().execute((tx) => appendAuditEvent(tx, event));
      }
    });
    await Promise.all(writers);
    writing = false;
    await signer;
    for (const sealer of sealers) await sealer.stop();
    expect(sealers.map((sealer) => sealer.lastError())).toEqual([null, null]);
    await createCheckpoint(handle.db, key);

    const total = WRITERS * EVENTS_PER_WRITER;
    const stored = await sql<{ count: number; min: number; max: number; distinct: number }>`
      SELECT count(*)::int AS count, min(seq)::int AS min, max(seq)::int AS max,
             count(DISTINCT prev_hash)::int AS distinct
      FROM audit_events`.execute(handle.db);
    // One event per number, and no two events claiming the same predecessor.
    expect(stored.rows[0]).toEqual({ count: total, min: 1, max: total, distinct: total });
    const report = await verifyDatabase(handle.db, readEd25519PublicKey(key.publicKeyPem));
    expect(report).toMatchObject({ intact: true, events: total, signedSize: total, damage: null });
    expect(checkpointsSigned).toBeGreaterThan(0);
  });
});
