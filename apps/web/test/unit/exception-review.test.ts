import { describe, expect, it } from 'vitest';
import type { EvidenceItem, EvidenceState } from '../../src/evidence/evidence-api.ts';
import { unavailableEvidence } from '../../src/evidence/evidence-readiness.ts';
import { assigneeLabel, commonAssignees } from '../../src/exceptions/assignee-candidates.ts';

const ANA = { id: '00000000-0000-4000-8000-00000000000a', displayName: 'Ana', email: 'ana@x.test' };
const BEN = { id: '00000000-0000-4000-8000-00000000000b', displayName: 'Ben', email: 'ben@x.test' };
const CYD = { id: '00000000-0000-4000-8000-00000000000c', displayName: 'Cyd', email: 'cyd@x.test' };

describe('commonAssignees', () => {
  it('returns one list as it is', () => {
    expect(commonAssignees([[ANA, BEN]])).toEqual([ANA, BEN]);
  });

  it('keeps users present in every list, in the first list’s order', () => {
    expect(
      commonAssignees([
        [BEN, ANA, CYD],
        [ANA, BEN],
        [CYD, BEN, ANA],
      ]),
    ).toEqual([BEN, ANA]);
  });

  it('returns nobody when the lists share no one', () => {
    expect(commonAssignees([[ANA], [BEN]])).toEqual([]);
  });

  it('returns nobody without lists', () => {
    expect(commonAssignees([])).toEqual([]);
  });
});

describe('assigneeLabel', () => {
  it('shows name and email', () => {
    expect(assigneeLabel(ANA)).toBe('Ana (ana@x.test)');
  });

  it('shows the email once when it is the name', () => {
    expect(assigneeLabel({ ...ANA, displayName: 'ana@x.test' })).toBe('ana@x.test');
  });
});

/** An evidence item with one version per state, numbered from 1. */
function item(title: string, states: EvidenceState[]): EvidenceItem {
  return {
    id: `00000000-0000-4000-8000-${title.padStart(12, '0')}`,
    entity: 'AP',
    subjectType: 'exception',
    subjectId: '00000000-0000-4000-8000-000000000001',
    title,
    createdBy: 'pia@x.test',
    createdAt: '2026-01-01T00:00:00.000Z',
    versions: states.map((state, index) => ({
      version: index + 1,
      fileName: `${title}.pdf`,
      contentType: 'application/pdf',
      size: 10,
      sha256: 'a'.repeat(64),
      state,
      declaredBy: 'pia@x.test',
      declaredAt: '2026-01-01T00:00:00.000Z',
      uploadedAt: null,
      evidenceDate: null,
      scannedAt: null,
      scanSignature: null,
      scanError: null,
      nextScanAt: null,
      rejectionReason: null,
    })),
  };
}

describe('unavailableEvidence', () => {
  it('returns nothing when every newest version is available', () => {
    expect(
      unavailableEvidence([item('1', ['available']), item('2', ['scan_pending', 'available'])]),
    ).toEqual([]);
  });

  it.each(['pending_upload', 'scan_pending', 'quarantined', 'rejected'] as const)(
    'names an item whose newest version is %s',
    (state) => {
      expect(unavailableEvidence([item('1', [state])])).toEqual([
        { evidenceId: '00000000-0000-4000-8000-000000000001', title: '1', version: 1, state },
      ]);
    },
  );

  it('judges by the newest version, in any order', () => {
    const evidence = item('2', ['available', 'scan_pending']);
    evidence.versions.reverse();

    expect(unavailableEvidence([evidence])).toMatchObject([{ version: 2, state: 'scan_pending' }]);
  });

  it('skips an item without versions', () => {
    expect(unavailableEvidence([item('3', [])])).toEqual([]);
  });
});
