import type { KeyObject } from 'node:crypto';
import { hash } from 'node:crypto';
import { GENESIS_HASH } from '../chain/audit-record.ts';
import type { SignedCheckpoint } from '../checkpoints/checkpoint-body.ts';
import { type Damage, damage, type VerificationReport } from '../verification/damage.ts';
import { LeafStore } from '../verification/leaf-store.ts';
import { verifyCheckpoints } from '../verification/verify-checkpoints.ts';
import { classifyEventLine } from './classify-event-line.ts';
import {
  CHECKPOINT_LINE_PREFIX,
  EVENT_LINE_INFIX,
  EVENT_LINE_PREFIX,
  EVENT_START,
  signedCheckpointSchema,
} from './export-format.ts';
import { readLines } from './read-lines.ts';

const SEQ_MARKER = Buffer.from(',"seq":');
const HASH_START = EVENT_LINE_PREFIX.length;

function startsWith(line: Buffer, prefix: Buffer, at = 0): boolean {
  return (
    line.length >= at + prefix.length &&
    line.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0
  );
}

/**
 * Check the top-level seq of a canonical event. Only targetId, targetType and
 * userAgent follow it, and none contains an unescaped quote, so the last
 * `,"seq":` in the event is the top-level one.
 */
function seqMatches(event: Buffer, expected: number): boolean {
  const at = event.lastIndexOf(SEQ_MARKER);
  if (at === -1) return false;
  const digits = String(expected);
  const start = at + SEQ_MARKER.length;
  return (
    event.toString('latin1', start, start + digits.length) === digits &&
    event[start + digits.length] === 0x2c
  );
}

/**
 * The fast path for one event line: when the line is well formed, carries
 * the expected seq and its hash chains from `prevHash`, return that hash.
 * Otherwise return null and let classifyEventLine report what is wrong.
 */
class EventLineChecker {
  private scratch = Buffer.alloc(64 * 1024);

  check(line: Buffer, prevHash: Buffer, expectedSeq: number): Buffer | null {
    if (line.length < EVENT_START + 2 || line[line.length - 1] !== 0x7d) return null;
    if (!startsWith(line, EVENT_LINE_INFIX, HASH_START + 64)) return null;

    const event = line.subarray(EVENT_START, line.length - 1);
    if (!seqMatches(event, expectedSeq)) return null;

    const needed = 1 + prevHash.length + event.length;
    if (needed > this.scratch.length) this.scratch = Buffer.alloc(needed * 2);
    this.scratch[0] = 0x00;
    prevHash.copy(this.scratch, 1);
    event.copy(this.scratch, 1 + prevHash.length);
    const computed = hash('sha256', this.scratch.subarray(0, needed), 'buffer');

    if (computed.toString('hex') !== line.toString('latin1', HASH_START, HASH_START + 64))
      return null;
    return computed;
  }
}

function parseCheckpoint(line: Buffer): SignedCheckpoint | null {
  try {
    const parsed = signedCheckpointSchema.safeParse(JSON.parse(line.toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Verify an export file with no database: the hash chain, then every
 * checkpoint against `publicKey`. Reads the file once; on damage it reads
 * the rest only to tell a reordering from a deletion.
 */
export async function verifyExport(
  file: string,
  publicKey: KeyObject,
): Promise<VerificationReport> {
  const leaves = new LeafStore();
  const checkpoints: SignedCheckpoint[] = [];
  const checker = new EventLineChecker();
  const lines = readLines(file);
  let prevHash: Buffer = GENESIS_HASH;
  let found: Damage | null = null;

  for await (const line of lines) {
    const expected = leaves.size + 1;

    if (startsWith(line, EVENT_LINE_PREFIX)) {
      if (checkpoints.length > 0) {
        found = damage(
          'malformed_export',
          expected,
          'an event line follows the checkpoints; events must come first',
        );
        break;
      }
      const computed = checker.check(line, prevHash, expected);
      if (computed === null) {
        found = await classifyEventLine(line, expected, lines);
        break;
      }
      leaves.push(computed);
      prevHash = computed;
      continue;
    }

    const signed = startsWith(line, CHECKPOINT_LINE_PREFIX) ? parseCheckpoint(line) : null;
    if (signed === null) {
      const where =
        checkpoints.length > 0
          ? `checkpoint line ${checkpoints.length + 1}`
          : `the line for event ${expected}`;
      found = damage(
        'malformed_export',
        expected,
        `${where} is neither a well-formed event nor a checkpoint`,
      );
      break;
    }
    checkpoints.push(signed);
  }

  found ??= verifyCheckpoints(checkpoints, leaves, publicKey);
  return {
    intact: found === null,
    events: leaves.size,
    checkpoints: checkpoints.length,
    signedSize: Math.max(0, ...checkpoints.map((signed) => signed.checkpoint.treeSize)),
    damage: found,
  };
}
