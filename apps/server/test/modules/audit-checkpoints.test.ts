import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS } from '../../src/modules/audit-trail/audit-actions.ts';
import { renderAuditActionsDoc } from '../../src/modules/audit-trail/audit-actions-doc.ts';
import { startCheckpointScheduler } from '../../src/modules/audit-trail/checkpoints/checkpoint-scheduler.ts';
import { listCheckpoints } from '../../src/modules/audit-trail/checkpoints/checkpoints.repository.ts';
import { checkpointsCheck } from '../../src/modules/audit-trail/checkpoints/checkpoints-check.ts';
import {
  assertCheckpointKey,
  createCheckpoint,
} from '../../src/modules/audit-trail/checkpoints/create-checkpoint.ts';
import { verifyDatabase } from '../../src/modules/audit-trail/verification/verify-database.ts';
import type { DatabaseHandle } from '../../src/platform/db/database.ts';
import type { SigningKey } from '../../src/platform/keys/signing-key.ts';
import { readEd25519PublicKey } from '../../src/platform/keys/signing-key.ts';
import {
  appendEvents,
  newSigningKey,
  openAuditDatabase,
  silentLogger,
  tamper,
} from '../support/audit-fixtures.ts';
import type { TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

describe('checkpoint scheduler', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let close: () => Promise<void>;
  let key: SigningKey;

  beforeEach(async () => {
    ({ database, handle, close } = await openAuditDatabase());
    key = await newSigningKey();
  });
  afterEach(async () => {
    await close();
  });

  const signedSizes = async () =>
    (await listCheckpoints(handle.db)).map((signed) => signed.checkpoint.treeSize);

  it('signs once enough events are uncovered', async () => {
    const scheduler = startCheckpointScheduler(
      handle.db,
      key,
      { everyEvents: 5, everyMs: 3_600_000, verifyEveryMs: 3_600_000 },
      silentLogger,
    );
    try {
      await appendEvents(handle, 4);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await signedSizes()).toEqual([]);

      await appendEvents(handle, 1, 4);
      await waitFor(async () => (await signedSizes()).length === 1);
      expect(await signedSizes()).toEqual([5]);
    } finally {
      await scheduler.stop();
    }
  });

  it('signs after the interval passes', async () => {
    const scheduler = startCheckpointScheduler(
      handle.db,
      key,
      { everyEvents: 1000, everyMs: 300, verifyEveryMs: 3_600_000 },
      silentLogger,
    );
    try {
      await appendEvents(handle, 2);
      await waitFor(async () => (await signedSizes()).includes(2));
    } finally {
      await scheduler.stop();
    }
  });

  it('fails readiness over a damaged chain', async () => {
    await appendEvents(handle, 3);
    await tamper(database.ownerUrl, async (client) => {
      await client.query("UPDATE audit_events SET outcome = 'failure' WHERE seq = 2");
    });
    const scheduler = startCheckpointScheduler(
      handle.db,
      key,
      { everyEvents: 1, everyMs: 100, verifyEveryMs: 3_600_000 },
      silentLogger,
    );
    try {
      await waitFor(async () => scheduler.lastError() !== null);

      expect(scheduler.lastError()?.message).toContain('event 2');
      await expect(checkpointsCheck(scheduler).run()).rejects.toThrow(
        'audit checkpoints are failing',
      );
      expect(await signedSizes()).toEqual([]);
    } finally {
      await scheduler.stop();
    }
  });
});

describe('checkpoint scheduler over signed history', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let close: () => Promise<void>;
  let key: SigningKey;

  beforeEach(async () => {
    ({ database, handle, close } = await openAuditDatabase());
    key = await newSigningKey();
    await appendEvents(handle, 4);
    await createCheckpoint(handle.db, key);
  });
  afterEach(async () => {
    await close();
  });

  it('stops signing after an edit to signed events', async () => {
    await tamper(database.ownerUrl, async (client) => {
      await client.query("UPDATE audit_events SET action = 'auth.logout' WHERE seq = 2");
    });
    await appendEvents(handle, 2, 4);
    const scheduler = startCheckpointScheduler(
      handle.db,
      key,
      { everyEvents: 1, everyMs: 100, verifyEveryMs: 100 },
      silentLogger,
    );
    try {
      await waitFor(async () => scheduler.lastError() !== null);

      expect(scheduler.lastError()?.message).toContain('event 2');
      const sizes = (await listCheckpoints(handle.db)).map((signed) => signed.checkpoint.treeSize);
      expect(sizes).toEqual([4]);
    } finally {
      await scheduler.stop();
    }
  });

  it('signs past a checkpoint row it never signed', async () => {
    await appendEvents(handle, 1, 4);
    const forged = await newSigningKey();
    await handle.db
      .insertInto('audit_checkpoints')
      .values({
        tree_size: 1_000_000_000,
        root_hash: Buffer.alloc(32),
        signed_at: new Date(),
        key_id: 'attacker',
        signature: await forged.sign(Buffer.from('junk')),
        frontier: [],
      })
      .execute();

    await assertCheckpointKey(handle.db, key);
    const created = await createCheckpoint(handle.db, key);
    const report = await verifyDatabase(handle.db, readEd25519PublicKey(key.publicKeyPem));

    expect(created?.checkpoint.treeSize).toBe(5);
    expect(report.damage).toMatchObject({ kind: 'bad_checkpoint_signature' });
  });

  it('keeps signing beside a forged checkpoint row', async () => {
    const forged = await newSigningKey();
    await handle.db
      .insertInto('audit_checkpoints')
      .values({
        tree_size: 999,
        root_hash: Buffer.alloc(32),
        signed_at: new Date(),
        key_id: key.keyId,
        signature: await forged.sign(Buffer.from('junk')),
        frontier: [],
      })
      .execute();
    await appendEvents(handle, 2, 4);
    const scheduler = startCheckpointScheduler(
      handle.db,
      key,
      { everyEvents: 1, everyMs: 50, verifyEveryMs: 100 },
      silentLogger,
    );
    try {
      await waitFor(async () =>
        (await listCheckpoints(handle.db)).some((s) => s.checkpoint.treeSize === 6),
      );

      expect(scheduler.lastError()?.message).toContain('bad_checkpoint_signature');
    } finally {
      await scheduler.stop();
    }
  });

  it('fails readiness when signing is blocked', async () => {
    await appendEvents(handle, 2, 4);
    const holder = new pg.Client({ connectionString: database.appUrl });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(7266041003)');
    const scheduler = startCheckpointScheduler(
      handle.db,
      key,
      { everyEvents: 1, everyMs: 50, verifyEveryMs: 3_600_000, overdueMs: 300 },
      silentLogger,
    );
    try {
      await waitFor(async () => scheduler.lastError() !== null);

      expect(scheduler.lastError()?.message).toContain('overdue');
    } finally {
      await scheduler.stop();
      await holder.end();
    }
  });

  it('refuses to sign with a different key', async () => {
    await appendEvents(handle, 1, 4);
    const other = await newSigningKey();

    await expect(createCheckpoint(handle.db, other)).rejects.toThrow(
      /not the key .* that signed the existing checkpoints/,
    );
  });
});

describe('audit action catalogue', () => {
  it('matches docs/security/audit-actions.md', () => {
    const written = readFileSync(
      new URL('../../../../docs/security/audit-actions.md', import.meta.url),
      'utf8',
    );

    expect(written).toBe(renderAuditActionsDoc());
  });

  it('uses only codes the CHECK accepts', () => {
    for (const code of Object.keys(AUDIT_ACTIONS)) {
      expect(code).toMatch(/^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/);
    }
  });
});
