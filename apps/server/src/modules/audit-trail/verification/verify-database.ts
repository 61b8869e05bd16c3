import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../../platform/db/schema.ts';
import { readEventRange, type StoredAuditEvent } from '../audit-events.repository.ts';
import { GENESIS_HASH } from '../chain/audit-record.ts';
import type { SignedCheckpoint } from '../checkpoints/checkpoint-body.ts';
import { listCheckpoints, readChainHead } from '../checkpoints/checkpoints.repository.ts';
import { checkLink, recomputeHash } from './chain-link.ts';
import { type Damage, damage, type VerificationReport } from './damage.ts';
import { LeafStore } from './leaf-store.ts';
import { verifyCheckpoints } from './verify-checkpoints.ts';

const BATCH_SIZE = 5000;

async function seqOfHash(db: Kysely<Database>, hash: Buffer): Promise<number | null> {
  const row = await db
    .selectFrom('audit_events')
    .select('seq')
    .where('hash', '=', hash)
    .executeTakeFirst();
  return row === undefined ? null : Number(row.seq);
}

/**
 * Explain a broken link at `expected`: the event stored there names, as its
 * predecessor, a hash found elsewhere in the chain or nowhere.
 */
async function classifyBrokenLink(
  db: Kysely<Database>,
  expected: number,
  event: StoredAuditEvent,
): Promise<Damage> {
  const predecessor = await seqOfHash(db, event.prevHash);

  if (predecessor !== null && predecessor >= expected) {
    return damage(
      'reordered_events',
      expected,
      `event ${expected} is the event that followed event ${predecessor}`,
    );
  }
  if (predecessor !== null) {
    return damage(
      'inserted_event',
      predecessor + 1,
      `events ${predecessor + 1} to ${expected - 1} were inserted after event ${predecessor}`,
    );
  }
  if (recomputeHash(event).equals(event.hash)) {
    return damage(
      'changed_event',
      expected - 1,
      `event ${expected - 1} was replaced by one with a recomputed hash`,
    );
  }
  return damage(
    'deleted_event',
    expected,
    `the event before the one now stored as ${expected} is missing`,
  );
}

async function walkChain(
  db: Kysely<Database>,
  leaves: LeafStore,
  headSize: number,
): Promise<Damage | null> {
  let prevHash: Buffer = GENESIS_HASH;

  for (;;) {
    const batch = await readEventRange(db, leaves.size, Number.MAX_SAFE_INTEGER, BATCH_SIZE);
    if (batch.length === 0) return null;

    for (const event of batch) {
      const expected = leaves.size + 1;
      const problem = checkLink(expected, prevHash, event);
      if (problem === 'gap' && expected > headSize) {
        return damage(
          'inserted_event',
          event.record.seq,
          `event ${event.record.seq} lies beyond the chain head at ${headSize}`,
        );
      }
      if (problem === 'gap') {
        return damage(
          'deleted_event',
          expected,
          `events ${expected} to ${event.record.seq - 1} are missing`,
        );
      }
      if (problem === 'link') return classifyBrokenLink(db, expected, event);
      if (problem === 'hash') {
        return damage('changed_event', expected, `event ${expected} does not match its hash`);
      }
      leaves.push(event.hash);
      prevHash = event.hash;
    }
  }
}

function checkHead(head: { size: number; lastHash: Buffer }, leaves: LeafStore): Damage | null {
  if (head.size > leaves.size) {
    return damage(
      'truncated',
      leaves.size + 1,
      `the chain ends at ${leaves.size} events, but its head records ${head.size}`,
    );
  }
  if (head.size < leaves.size) {
    return damage(
      'inserted_event',
      head.size + 1,
      `events after ${head.size} were added without advancing the chain head`,
    );
  }
  const last = head.size === 0 ? GENESIS_HASH : leaves.at(head.size - 1);
  if (!last.equals(head.lastHash)) {
    return damage(
      'changed_event',
      head.size,
      `event ${head.size} does not match the hash the chain head records`,
    );
  }
  return null;
}

/**
 * Verify the chain and every checkpoint in the database, plus `trusted`
 * checkpoints kept outside it, which still hold when a superuser deletes
 * the stored ones. Reads only; every checkpoint must verify with publicKey.
 */
export async function verifyDatabase(
  db: Kysely<Database>,
  publicKey: KeyObject,
  trusted: readonly SignedCheckpoint[] = [],
): Promise<VerificationReport> {
  const leaves = new LeafStore();
  const checkpoints = await listCheckpoints(db);
  const head = await readChainHead(db);

  const found =
    (await walkChain(db, leaves, head.size)) ??
    checkHead(head, leaves) ??
    verifyCheckpoints([...checkpoints, ...trusted], leaves, publicKey);

  return {
    intact: found === null,
    events: leaves.size,
    checkpoints: checkpoints.length,
    signedSize: [...checkpoints, ...trusted].reduce(
      (max, signed) => Math.max(max, signed.checkpoint.treeSize),
      0,
    ),
    damage: found,
  };
}
