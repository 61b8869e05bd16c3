import type { AuditRecord } from './audit-record.ts';
import { canonicalize } from './jcs.ts';

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The RFC 8785 canonical JSON of an event whose details are given as the
 * canonical text that was stored and hashed, not re-serialized. The
 * database builds the same text in audit_canonical_event(); keeping the
 * stored details text means what is hashed is exactly what is stored.
 */
export function canonicalEventText(record: AuditRecord, detailsText: string): string {
  const members = Object.keys(record)
    .sort(byCodeUnits)
    .map((key) => {
      const value =
        key === 'details' ? detailsText : canonicalize(record[key as keyof AuditRecord]);
      return `${canonicalize(key)}:${value}`;
    });
  return `{${members.join(',')}}`;
}
