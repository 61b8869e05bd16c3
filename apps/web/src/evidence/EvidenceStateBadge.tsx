import { Badge } from '@mantine/core';
import type { EvidenceState } from './evidence-api.ts';

export const EVIDENCE_STATE_LABELS: Record<EvidenceState, string> = {
  pending_upload: 'Pending upload',
  scan_pending: 'Scan pending',
  available: 'Available',
  quarantined: 'Quarantined',
  rejected: 'Rejected',
};

const STATE_COLORS: Record<EvidenceState, string> = {
  pending_upload: 'gray',
  scan_pending: 'yellow',
  available: 'green',
  quarantined: 'red',
  rejected: 'orange',
};

export function EvidenceStateBadge({ state }: { state: EvidenceState }) {
  return (
    // The dot variant keeps the label in the body text color, which meets WCAG AA contrast.
    <Badge variant="dot" color={STATE_COLORS[state]} miw="max-content" data-testid="evidence-state">
      {EVIDENCE_STATE_LABELS[state]}
    </Badge>
  );
}
