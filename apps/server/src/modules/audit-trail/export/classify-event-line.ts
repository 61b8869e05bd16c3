import { type Damage, damage } from '../verification/damage.ts';
import { eventLineSchema } from './export-format.ts';

function seqOf(line: Buffer): number | null {
  try {
    const parsed = eventLineSchema.safeParse(JSON.parse(line.toString('utf8')));
    return parsed.success ? parsed.data.event.seq : null;
  } catch {
    return null;
  }
}

async function nextSeq(rest: AsyncIterator<Buffer>): Promise<number | null> {
  for (let next = await rest.next(); !next.done; next = await rest.next()) {
    const seq = seqOf(next.value);
    if (seq !== null) return seq;
  }
  return null;
}

/** Read the next event line's seq, and report whether any later line carries `wanted`. */
async function scanFor(
  rest: AsyncIterator<Buffer>,
  wanted: number,
): Promise<{ following: number | null; found: boolean }> {
  let following: number | null = null;
  for (let next = await rest.next(); !next.done; next = await rest.next()) {
    const seq = seqOf(next.value);
    if (seq === null) continue;
    following ??= seq;
    if (seq === wanted) return { following, found: true };
  }
  return { following, found: false };
}

function seqAltered(expected: number, seq: number): Damage {
  return damage(
    'changed_event',
    expected,
    `event ${expected} carries seq ${seq} and does not match its hash`,
  );
}

/**
 * Say what is wrong with the event line found where event `expected`
 * should be. A line whose seq differs from its position was
 * moved there, or had its seq altered: if the next line carries
 * expected + 1, only the seq changed. A higher seq is a reordering when
 * event `expected` appears later, and a deletion when it never does.
 */
export async function classifyEventLine(
  line: Buffer,
  expected: number,
  rest: AsyncIterator<Buffer>,
): Promise<Damage> {
  const seq = seqOf(line);

  if (seq === null) {
    return damage(
      'malformed_export',
      expected,
      `the line for event ${expected} is not a well-formed event line`,
    );
  }
  if (seq === expected) {
    return damage('changed_event', expected, `event ${expected} does not match its hash`);
  }
  if (seq < expected) {
    const following = await nextSeq(rest);
    if (following === expected + 1) return seqAltered(expected, seq);
    return damage(
      'inserted_event',
      seq,
      `event ${seq} appears again at position ${expected}, so the line before it was inserted`,
    );
  }

  const { following, found } = await scanFor(rest, expected);
  if (found) {
    return damage('reordered_events', expected, `event ${expected} appears after event ${seq}`);
  }
  if (following === expected + 1) return seqAltered(expected, seq);
  return damage('deleted_event', expected, `events ${expected} to ${seq - 1} are missing`);
}
