import { canonicalize, compareCodeUnits } from '../../../platform/json/jcs.ts';
import type { AuditRecord } from './audit-record.ts';

/**
 * Build the RFC 8785 canonical JSON of an event, with details inserted as
 * the stored text rather than serialized again. The database builds the
 * same text in audit_canonical_event(), so what is hashed is exactly what
 * is stored.
 */
export function canonicalEventText(record: AuditRecord, detailsText: string): string {
  const members = Object.keys(record)
    .sort(compareCodeUnits)
    .map((key) => {
      const value =
        key === 'details' ? detailsText : canonicalize(record[key as keyof AuditRecord]);
      return `${canonicalize(key)}:${value}`;
    });
  return `{${members.join(',')}}`;
}
