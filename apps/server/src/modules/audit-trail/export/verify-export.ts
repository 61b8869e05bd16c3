import type { KeyObject } from 'node:crypto';
import { hash } from 'node:crypto';
import { GENESIS_HASH } from '../chain/audit-record.ts';
import type { SignedCheckpoint } from '../checkpoints/checkpoint-body.ts';
import { type Damage, damage, type VerificationReport } from '../verification/damage.ts';
import { type TreeRoots, verifyCheckpoints } from '../verification/verify-checkpoints.ts';
import { readCheckpointSizes } from './checkpoint-tail.ts';
import { classifyEventLine } from './classify-event-line.ts';
import {
  CHECKPOINT_LINE_PREFIX,
  EVENT_LINE_INFIX,
  EVENT_LINE_PREFIX,
  EVENT_START,
  signedCheckpointSchema,
} from './export-format.ts';
import { LineTooLongError, readLines } from './read-lines.ts';
import { StringMerkle } from './string-merkle.ts';

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

/**
 * A signed event's bytes are exactly what the server wrote, but an event
 * after the last checkpoint has only its own hash behind it, so it must
 * at least parse as a JSON object.
 */
function isJsonObject(line: Buffer, start: number, end: number): boolean {
  try {
    const value: unknown = JSON.parse(line.toString('utf8', start, end));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
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
 * The hashes of the events read so far, as the export verifier keeps them:
 * no per-event storage, only the last hash, the Merkle compact range and
 * the roots at the sizes that checkpoints name.
 */
class ExportTree implements TreeRoots {
  readonly merkle = new StringMerkle();
  readonly roots = new Map<number, Buffer>();
  lastHash = GENESIS_HASH.toString('latin1');

  private readonly wantedSizes: ReadonlySet<number>;
  /** Events past this size are covered by no checkpoint, so nothing vouches for their form. */
  readonly signedSize: number;

  constructor(wantedSizes: ReadonlySet<number>) {
    this.wantedSizes = wantedSizes;
    this.signedSize = [...wantedSizes].reduce((max, size) => Math.max(max, size), 0);
  }

  get size(): number {
    return this.merkle.size;
  }

  append(hash: string): void {
    this.merkle.append(hash);
    this.lastHash = hash;
    if (this.wantedSizes.has(this.merkle.size))
      this.roots.set(this.merkle.size, this.merkle.root());
  }

  rootsAt(sizes: readonly number[]): Map<number, Buffer> {
    for (const size of sizes) {
      if (size <= this.size && !this.roots.has(size)) {
        throw new UnexpectedCheckpointError(size);
      }
    }
    return this.roots;
  }
}

/** A checkpoint whose size the tail read did not find: the file changed while being read. */
class UnexpectedCheckpointError extends Error {
  readonly treeSize: number;

  constructor(treeSize: number) {
    super(`the checkpoint at tree size ${treeSize} was not at the end of the file`);
    this.treeSize = treeSize;
  }
}

/**
 * The fast path for one event line: when the line is well formed, carries
 * the expected seq and its hash chains from the last event, append that
 * hash to `tree` and return true. Otherwise return false and let
 * classifyEventLine report what is wrong.
 */
class EventLineChecker {
  private scratch = Buffer.alloc(64 * 1024);

  check(line: Buffer, tree: ExportTree): boolean {
    const end = line.length - 1;
    if (end < EVENT_START + 1 || line[end] !== 0x7d) return false;
    if (!bytesAt(line, HASH_START + 64, EVENT_LINE_INFIX)) return false;
    if (!seqMatches(line, EVENT_START, end, tree.size + 1)) return false;

    // The leaf input 0x00 || previous hash || event bytes is built in one
    // reused buffer. On Node 24 a 'binary' (latin1) digest costs less than
    // a Buffer digest, and it compares with the line's hex digit by digit.
    const needed = 1 + 32 + (end - EVENT_START);
    if (needed > this.scratch.length) this.scratch = Buffer.alloc(needed * 2);
    this.scratch[0] = 0x00;
    this.scratch.write(tree.lastHash, 1, 32, 'latin1');
    line.copy(this.scratch, 33, EVENT_START, end);
    const digest = hash('sha256', this.scratch.subarray(0, needed), 'binary');

    if (!hexMatches(digest, line, HASH_START)) return false;
    if (tree.size >= tree.signedSize && !isJsonObject(line, EVENT_START, end)) return false;
    tree.append(digest);
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
 * Return the first damage in the lines themselves, or null.
 */
async function readExport(
  lines: AsyncGenerator<Buffer>,
  leaves: ExportTree,
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
  const wanted = await readCheckpointSizes(file);
  for (const signed of trusted) wanted.add(signed.checkpoint.treeSize);
  const leaves = new ExportTree(wanted);
  const checkpoints: SignedCheckpoint[] = [];
  let found: Damage | null;
  try {
    found = await readExport(readLines(file), leaves, checkpoints);
  } catch (error) {
    if (!(error instanceof LineTooLongError)) throw error;
    found = damage('malformed_export', leaves.size + 1, error.message);
  }

  try {
    found ??= verifyCheckpoints([...checkpoints, ...trusted], leaves, publicKey);
  } catch (error) {
    if (!(error instanceof UnexpectedCheckpointError)) throw error;
    found = damage('malformed_export', error.treeSize, error.message);
  }
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
