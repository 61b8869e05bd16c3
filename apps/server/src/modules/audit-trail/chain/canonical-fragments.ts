import type { AuditRecord } from './audit-record.ts';
import { canonicalize } from './jcs.ts';

/** Every field of an event except the two that the database assigns. */
export type AuditFields = Omit<AuditRecord, 'seq' | 'occurredAt'>;

const HOLES = new Set(['occurredAt', 'seq']);

/**
 * Split the canonical JSON of an event at the values of occurredAt and seq.
 *
 * The database assigns both: occurredAt when the event is appended, and seq
 * when audit_seal_pending() seals it. The sealer fills them in and hashes
 * the joined text, which is byte for byte canonicalize(record), as the
 * tests check.
 */
export function canonicalFragments(fields: AuditFields): [string, string, string] {
  const keys = [...Object.keys(fields), ...HOLES].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const fragments: string[] = [];
  let current = '{';

  keys.forEach((key, index) => {
    if (index > 0) current += ',';
    current += `${canonicalize(key)}:`;
    if (HOLES.has(key)) {
      fragments.push(current);
      current = '';
      return;
    }
    current += canonicalize(fields[key as keyof AuditFields]);
  });
  fragments.push(`${current}}`);

  const [head, middle, tail] = fragments;
  if (head === undefined || middle === undefined || tail === undefined) {
    throw new Error('canonical event must have exactly two holes');
  }
  return [head, middle, tail];
}
