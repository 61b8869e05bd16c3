import type { KeyObject } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  readEventRange,
  type StoredAuditEvent,
} from '../../src/modules/audit-trail/audit-events.repository.ts';
import { appendAuditEvent } from '../../src/modules/audit-trail/audit-trail.service.ts';
import { type AuditRecord, chainHash } from '../../src/modules/audit-trail/chain/audit-record.ts';
import { listCheckpoints } from '../../src/modules/audit-trail/checkpoints/checkpoints.repository.ts';
import { createCheckpoint } from '../../src/modules/audit-trail/checkpoints/create-checkpoint.ts';
import { sealPendingEvents } from '../../src/modules/audit-trail/sealing/seal-pending.ts';
import type { VerificationReport } from '../../src/modules/audit-trail/verification/damage.ts';
import { verifyDatabase } from '../../src/modules/audit-trail/verification/verify-database.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import { canonicalize } from '../../src/platform/json/jcs.ts';
import { readEd25519PublicKey, type SigningKey } from '../../src/platform/keys/signing-key.ts';
import {
  appendEvents,
  newSigningKey,
  openAuditDatabase,
  tamper,
} from '../support/audit-fixtures.ts';
import type { TestDatabase } from '../support/test-database.ts';

// Each test gets a chain of 30 events with signed checkpoints at 10 and 20,
// then rewrites it as the table owner with the triggers disabled.
describe('audit verification against a tampered database', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let close: () => Promise<void>;
  let key: SigningKey;
  let publicKey: KeyObject;

  beforeEach(async () => {
    ({ database, handle, close } = await openAuditDatabase());
    key = await newSigningKey();
    publicKey = readEd25519PublicKey(key.publicKeyPem);
    await appendEvents(handle, 10);
    await createCheckpoint(handle.db, key);
    await appendEvents(handle, 10, 10);
    await createCheckpoint(handle.db, key);
    await appendEvents(handle, 10, 20);
  });
  afterEach(async () => {
    await close();
  });

  const verify = (withKey = publicKey): Promise<VerificationReport> =>
    handle.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute((tx) => verifyDatabase(tx, withKey));

  async function storedEvents(): Promise<StoredAuditEvent[]> {
    return readEventRange(handle.db, 0, Number.MAX_SAFE_INTEGER, 1000);
  }

  async function insertRecord(
    client: pg.Client,
    record: AuditRecord,
    prevHash: Buffer,
    hash: Buffer,
  ) {
    await client.query(
      `INSERT INTO audit_events (seq, occurred_at, actor_type, actor_id, on_behalf_of, channel, action,
         outcome, reason_code, target_type, target_id, entity_id, request_id, correlation_id,
         ip_address, user_agent, details, details_jcs, prev_hash, hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
      [
        record.seq,
        record.occurredAt,
        record.actorType,
        record.actorId,
        record.onBehalfOf,
        record.channel,
        record.action,
        record.outcome,
        record.reasonCode,
        record.targetType,
        record.targetId,
        record.entityId,
        record.requestId,
        record.correlationId,
        record.ipAddress,
        record.userAgent,
        JSON.stringify(record.details),
        canonicalize(record.details),
        prevHash,
        hash,
      ],
    );
  }

  /** Change event 3, then recompute every hash, as an attacker with the published format would. */
  async function rewriteEvent3AndRehash(client: pg.Client, events: StoredAuditEvent[]) {
    let prevHash: Buffer = Buffer.alloc(32);
    for (const event of events) {
      const record =
        event.record.seq === 3 ? { ...event.record, outcome: 'failure' as const } : event.record;
      const hash = chainHash(prevHash, canonicalize(record));
      await client.query('DELETE FROM audit_events WHERE seq = $1', [record.seq]);
      await insertRecord(client, record, prevHash, hash);
      prevHash = hash;
    }
    await client.query('UPDATE audit_chain_head SET last_hash = $1', [prevHash]);
  }

  it('reports an untouched chain as intact', async () => {
    const report = await verify();

    expect(report).toMatchObject({
      intact: true,
      events: 30,
      checkpoints: 2,
      signedSize: 20,
      damage: null,
    });
  });

  it('finds one edited field', async () => {
    await tamper(database.ownerUrl, async (client) => {
      await client.query(
        "UPDATE audit_events SET outcome = 'success', reason_code = NULL WHERE seq = 7",
      );
      await client.query(
        'UPDATE audit_events SET details = details || \'{"index": 99}\' WHERE seq = 7',
      );
    });

    expect((await verify()).damage).toMatchObject({ kind: 'changed_event', seq: 7 });
  });

  it('finds an edit to details jsonb', async () => {
    await tamper(database.ownerUrl, async (client) => {
      await client.query(
        `UPDATE audit_events SET details = details || '{"index": 99}' WHERE seq = 8`,
      );
    });

    expect((await verify()).damage).toMatchObject({ kind: 'changed_event', seq: 8 });
  });

  it('rejects owner edits to pending events', async () => {
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    try {
      await owner.query(
        "INSERT INTO audit_pending (actor_type, channel, action, outcome, details_jcs) VALUES ('system', 'cli', 'user.created', 'success', '{}')",
      );
      for (const statement of [
        "UPDATE audit_pending SET occurred_at = '2019-01-01'",
        'DELETE FROM audit_pending',
        'TRUNCATE audit_pending',
      ]) {
        await expect(owner.query(statement), statement).rejects.toMatchObject({ code: '42501' });
      }
    } finally {
      await owner.end();
    }
  });

  it('accepts details the app left non-canonical', async () => {
    const app = new pg.Client({ connectionString: database.appUrl });
    await app.connect();
    try {
      await app.query(
        `INSERT INTO audit_pending (actor_type, channel, action, outcome, details_jcs) VALUES ('system', 'cli', 'entity.created', 'success', '{"b":1, "a":1.0}')`,
      );
    } finally {
      await app.end();
    }
    await sealPendingEvents(handle.db);

    expect(await verify()).toMatchObject({ intact: true, events: 31 });
  });

  it('hashes stored uuids, not input case', async () => {
    await handle.db.transaction().execute((tx) =>
      appendAuditEvent(tx, {
        actor: { type: 'system', channel: 'cli' },
        action: 'entity.created',
        outcome: 'success',
        entityId: 'ABCDEF01-2345-4678-9ABC-DEF012345678',
      }),
    );
    await sealPendingEvents(handle.db);

    expect(await verify()).toMatchObject({ intact: true, events: 31 });
  });

  it('finds a deleted middle event', async () => {
    await tamper(database.ownerUrl, async (client) => {
      await client.query('DELETE FROM audit_events WHERE seq = 12');
    });

    expect((await verify()).damage).toMatchObject({ kind: 'deleted_event', seq: 12 });
  });

  it('finds a deletion with renumbering', async () => {
    await tamper(database.ownerUrl, async (client) => {
      await client.query('DELETE FROM audit_events WHERE seq = 12');
      await client.query('UPDATE audit_events SET seq = seq - 1 WHERE seq > 12');
      await client.query('UPDATE audit_chain_head SET last_seq = last_seq - 1');
    });

    expect((await verify()).damage).toMatchObject({ kind: 'deleted_event', seq: 12 });
  });

  it('finds a forged event inserted with a recomputed hash', async () => {
    const events = await storedEvents();
    const previous = events[13];
    if (previous === undefined) throw new Error('event 14 missing');
    const forged: AuditRecord = {
      ...previous.record,
      seq: 15,
      action: 'evidence.downloaded',
      details: { note: 'forged' },
    };
    const forgedHash = chainHash(previous.hash, canonicalize(forged));

    await tamper(database.ownerUrl, async (client) => {
      // Make room at 15 by moving every later event up one.
      await client.query('UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 15');
      await client.query('UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1015');
      await insertRecord(client, forged, previous.hash, forgedHash);
      await client.query('UPDATE audit_chain_head SET last_seq = last_seq + 1');
    });

    expect((await verify()).damage).toMatchObject({ kind: 'inserted_event', seq: 15 });
  });

  it('finds an event written beyond the chain head', async () => {
    const events = await storedEvents();
    const last = events.at(-1);
    if (last === undefined) throw new Error('no events');

    await tamper(database.ownerUrl, async (client) => {
      await insertRecord(
        client,
        { ...last.record, seq: 100 },
        last.hash,
        Buffer.from(last.hash).reverse(),
      );
    });

    expect((await verify()).damage).toMatchObject({ kind: 'inserted_event', seq: 100 });
  });

  it('finds two swapped events', async () => {
    await tamper(database.ownerUrl, async (client) => {
      await client.query('UPDATE audit_events SET seq = 1000 WHERE seq = 5');
      await client.query('UPDATE audit_events SET seq = 5 WHERE seq = 9');
      await client.query('UPDATE audit_events SET seq = 9 WHERE seq = 1000');
    });

    expect((await verify()).damage).toMatchObject({ kind: 'reordered_events', seq: 5 });
  });

  it('finds two swapped neighbours', async () => {
    await tamper(database.ownerUrl, async (client) => {
      await client.query('UPDATE audit_events SET seq = 1000 WHERE seq = 5');
      await client.query('UPDATE audit_events SET seq = 5 WHERE seq = 6');
      await client.query('UPDATE audit_events SET seq = 6 WHERE seq = 1000');
    });

    expect((await verify()).damage).toMatchObject({ kind: 'reordered_events', seq: 5 });
  });

  it('finds truncation below a checkpoint', async () => {
    const events = await storedEvents();
    const last = events[15];
    if (last === undefined) throw new Error('event 16 missing');

    await tamper(database.ownerUrl, async (client) => {
      await client.query('DELETE FROM audit_events WHERE seq > 16');
      await client.query('UPDATE audit_chain_head SET last_seq = 16, last_hash = $1', [last.hash]);
    });

    expect((await verify()).damage).toMatchObject({ kind: 'truncated', seq: 17 });
  });

  it('finds unsigned truncation from the head', async () => {
    await tamper(database.ownerUrl, async (client) => {
      await client.query('DELETE FROM audit_events WHERE seq > 25');
    });

    expect((await verify()).damage).toMatchObject({ kind: 'truncated', seq: 26 });
  });

  it('finds a fully rehashed history', async () => {
    const events = await storedEvents();

    await tamper(database.ownerUrl, async (client) => {
      await rewriteEvent3AndRehash(client, events);
    });

    expect((await verify()).damage).toMatchObject({ kind: 'checkpoint_mismatch', seq: 1 });
  });

  it('needs trusted checkpoints after deletion', async () => {
    const trusted = await listCheckpoints(handle.db);
    const events = await storedEvents();

    await tamper(database.ownerUrl, async (client) => {
      await client.query('DELETE FROM audit_checkpoints');
      await rewriteEvent3AndRehash(client, events);
    });
    const withoutTrust = await verify();
    const withTrust = await handle.db
      .transaction()
      .execute((tx) => verifyDatabase(tx, publicKey, trusted));

    expect(withoutTrust).toMatchObject({ intact: true, signedSize: 0 });
    expect(withTrust.damage).toMatchObject({ kind: 'checkpoint_mismatch', seq: 1 });
  });

  it('finds a forged checkpoint signature', async () => {
    await tamper(database.ownerUrl, async (client) => {
      await client.query(
        'UPDATE audit_checkpoints SET signature = set_byte(signature, 10, get_byte(signature, 10) # 1) WHERE tree_size = 20',
      );
    });

    expect((await verify()).damage).toMatchObject({ kind: 'bad_checkpoint_signature', seq: 20 });
  });

  it('refuses checkpoints when verifying with another key', async () => {
    const other = await newSigningKey();

    const report = await verify(readEd25519PublicKey(other.publicKeyPem));

    expect(report.damage).toMatchObject({ kind: 'bad_checkpoint_signature', seq: 10 });
    expect(report.damage?.message).toContain('not the given public key');
  });

  it('refuses to sign over an altered event', async () => {
    await tamper(database.ownerUrl, async (client) => {
      await client.query("UPDATE audit_events SET action = 'auth.logout' WHERE seq = 24");
    });

    await expect(createCheckpoint(handle.db, key)).rejects.toThrow(/event 24/);
  });
});
