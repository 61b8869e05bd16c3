import { Badge } from '@mantine/core';
import {
  SEVERITY_COLORS,
  SEVERITY_LABELS,
  STATUS_COLORS,
  STATUS_LABELS,
} from './exception-labels.ts';
import type { ExceptionStatus, Severity } from './exceptions-api.ts';

export function StatusBadge({ status }: { status: ExceptionStatus }) {
  return (
    <Badge
      variant="light"
      color={STATUS_COLORS[status]}
      miw="max-content"
      data-testid="exception-status"
    >
      {STATUS_LABELS[status]}
    </Badge>
  );
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    // The dot variant keeps the label in the body text color, which meets WCAG AA contrast.
    <Badge variant="dot" color={SEVERITY_COLORS[severity]} miw="max-content">
      {SEVERITY_LABELS[severity]}
    </Badge>
  );
}

export function OverdueBadge() {
  return (
    <Badge variant="filled" color="red" miw="max-content">
      Overdue
    </Badge>
  );
}
