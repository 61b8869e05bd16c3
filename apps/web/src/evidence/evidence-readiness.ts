import type { EvidenceItem, EvidenceState } from './evidence-api.ts';

/** An evidence item whose newest version cannot be downloaded, with that version's state. */
export interface UnavailableEvidence {
  evidenceId: string;
  title: string;
  version: number;
  state: Exclude<EvidenceState, 'available'>;
}

/**
 * Return the items whose newest version is not `available`: still pending
 * upload, waiting for a scan, quarantined or rejected. A decision on such
 * an item rests on a file that no one can open yet, or on an older version.
 */
export function unavailableEvidence(items: readonly EvidenceItem[]): UnavailableEvidence[] {
  const unavailable: UnavailableEvidence[] = [];

  for (const item of items) {
    const newest = item.versions.reduce<EvidenceItem['versions'][number] | undefined>(
      (latest, version) =>
        latest === undefined || version.version > latest.version ? version : latest,
      undefined,
    );
    if (newest === undefined || newest.state === 'available') continue;
    unavailable.push({
      evidenceId: item.id,
      title: item.title,
      version: newest.version,
      state: newest.state,
    });
  }

  return unavailable;
}
