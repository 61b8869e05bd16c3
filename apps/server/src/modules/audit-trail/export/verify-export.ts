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
import { LineTooLongError, readLines } from './read-lines.ts';

const SEQ_MARKER = Buffer.from(',"seq":');
const HASH_START = EVENT_LINE_PREFIX.length;
const HEX_DIGITS = Buffer.from('0123456789abcdef');

/** Compare a short byte string at `at`, without allocating a view. */
function bytesAt(line: Buffer, at: number, expected: Buffer): boolean {
  if (line.length < at + expected.length) return false;
  for (let index = 0; index < expected.length; index += 1) {
    if (line[at + index] !== expected[index]) return false;
  }
  return true;
}

/**
 * Check the top-level seq of the canonical event in line[start, end).
 * Only targetId, targetType and userAgent follow it, and none contains an
 * unescaped quote, so the last `,"seq":` in the event is the top-level one.
 */
function seqMatches(line: Buffer, start: number, end: number, expected: number): boolean {
  const at = line.lastIndexOf(SEQ_MARKER, end);
  if (at < start) return false;

  let value = 0;
  let position = at + SEQ_MARKER.length;
  for (; position < end; position += 1) {
    const byte = line[position] ?? 0;
    if (byte < 0x30 || byte > 0x39) break;
    value = value * 10 + (byte - 0x30);
  }
  return position > at + SEQ_MARKER.length && line[position] === 0x2c && value === expected;
}

/** Compare a binary (latin1) digest with 64 lowercase hex digits in `line` at `at`. */
function hexMatches(digest: string, line: Buffer, at: number): boolean {
  for (let index = 0; index < digest.length; index += 1) {
    const byte = digest.charCodeAt(index);
    if (line[at + 2 * index] !== HEX_DIGITS[byte >> 4]) return false;
    if (line[at + 2 * index + 1] !== HEX_DIGITS[byte & 0x0f]) return false;
  }
  return true;
}

/**
 * The fast path for one event line: when the line is well formed, carries
 * the expected seq and its hash chains from the last leaf, append that
 * hash to `leaves` and return true. Otherwise return false and let
 * classifyEventLine report what is wrong.
 */
class EventLineChecker {
  private scratch = Buffer.alloc(64 * 1024);

  check(line: Buffer, leaves: LeafStore): boolean {
    const end = line.length - 1;
    if (end < EVENT_START + 1 || line[end] !== 0x7d) return false;
    if (!bytesAt(line, HASH_START + 64, EVENT_LINE_INFIX)) return false;
    if (!seqMatches(line, EVENT_START, end, leaves.size + 1)) return false;

    // The leaf input 0x00 || previous hash || event bytes is built in one
    // reused buffer. On Node 24 a 'binary' (latin1) digest costs less than
    // a Buffer digest, and it compares with the line's hex digit by digit.
    const needed = 1 + 32 + (end - EVENT_START);
    if (needed > this.scratch.length) this.scratch = Buffer.alloc(needed * 2);
    this.scratch[0] = 0x00;
    if (leaves.size === 0) GENESIS_HASH.copy(this.scratch, 1);
    else leaves.copyLeaf(leaves.size - 1, this.scratch, 1);
    line.copy(this.scratch, 33, EVENT_START, end);
    const digest = hash('sha256', this.scratch.subarray(0, needed), 'binary');

    if (!hexMatches(digest, line, HASH_START)) return false;
    leaves.pushBinary(digest);
    return true;
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
 * Read every line: events into `leaves`, checkpoints into `checkpoints`.
 * Returns the first damage in the lines themselves, or null.
 */
async function readExport(
  lines: AsyncGenerator<Buffer>,
  leaves: LeafStore,
  checkpoints: SignedCheckpoint[],
): Promise<Damage | null> {
  const checker = new EventLineChecker();

  for await (const line of lines) {
    const expected = leaves.size + 1;

    if (bytesAt(line, 0, EVENT_LINE_PREFIX)) {
      if (checkpoints.length > 0) {
        return damage(
          'malformed_export',
          expected,
          'an event line follows the checkpoints; events must come first',
        );
      }
      if (!checker.check(line, leaves)) {
        return await classifyEventLine(line, expected, lines);
      }
      continue;
    }

    const signed = bytesAt(line, 0, CHECKPOINT_LINE_PREFIX) ? parseCheckpoint(line) : null;
    if (signed === null) {
      const where =
        checkpoints.length > 0
          ? `checkpoint line ${checkpoints.length + 1}`
          : `the line for event ${expected}`;
      return damage(
        'malformed_export',
        expected,
        `${where} is neither a well-formed event nor a checkpoint`,
      );
    }
    checkpoints.push(signed);
  }
  return null;
}

/**
 * Verify an export file with no database: the hash chain, then every
 * checkpoint in it and in `trusted` against `publicKey`. Trusted
 * checkpoints are kept apart from the export, so removing checkpoint lines
 * hides nothing from them. Reads the file once, and on damage reads the
 * rest only to tell a reordering from a deletion.
 */
export async function verifyExport(
  file: string,
  publicKey: KeyObject,
  trusted: readonly SignedCheckpoint[] = [],
): Promise<VerificationReport> {
  const leaves = new LeafStore();
  const checkpoints: SignedCheckpoint[] = [];
  let found: Damage | null;
  try {
    found = await readExport(readLines(file), leaves, checkpoints);
  } catch (error) {
    if (!(error instanceof LineTooLongError)) throw error;
    found = damage('malformed_export', leaves.size + 1, error.message);
  }

  found ??= verifyCheckpoints([...checkpoints, ...trusted], leaves, publicKey);
  return {
    intact: found === null,
    events: leaves.size,
    checkpoints: checkpoints.length,
    signedSize: Math.max(
      0,
      ...[...checkpoints, ...trusted].map((signed) => signed.checkpoint.treeSize),
    ),
    damage: found,
  };
}
