import type { Disposition, ExceptionStatus, Severity } from './exceptions-api.ts';

export const STATUS_LABELS: Record<ExceptionStatus, string> = {
  open: 'Open',
  in_progress: 'In progress',
  proposed: 'Proposed',
  closed: 'Closed',
};

export const STATUS_COLORS: Record<ExceptionStatus, string> = {
  open: 'blue',
  in_progress: 'yellow',
  proposed: 'grape',
  closed: 'gray',
};

export const SEVERITY_LABELS: Record<Severity, string> = {
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  critical: 'Critical',
};

export const SEVERITY_COLORS: Record<Severity, string> = {
  low: 'gray',
  medium: 'yellow',
  high: 'orange',
  critical: 'red',
};

export const DISPOSITION_LABELS: Record<Disposition, string> = {
  false_positive: 'False positive',
  control_deficiency: 'Control deficiency',
  remediated: 'Remediated',
  risk_accepted: 'Risk accepted',
  duplicate: 'Duplicate',
};

/** Labels of the history actions that exception_events records. */
const ACTION_LABELS: Record<string, string> = {
  assigned: 'Assigned',
  proposed: 'Disposition proposed',
  approved: 'Approved',
  returned: 'Returned',
  risk_accepted: 'Risk accepted',
  reopened: 'Reopened by a run',
  closed_by_run: 'Closed by a run',
  retest_requested: 'Retest requested',
};

export function actionLabel(action: string): string {
  return ACTION_LABELS[action] ?? action.replaceAll('_', ' ');
}

export function statusLabel(status: string): string {
  return STATUS_LABELS[status as ExceptionStatus] ?? status;
}

export function dispositionLabel(disposition: string): string {
  return DISPOSITION_LABELS[disposition as Disposition] ?? disposition;
}

/** Key values as one line, such as "V1 · INV-1 · 100.00". */
export function formatKeyValues(keyValues: readonly unknown[]): string {
  return keyValues
    .map((value) => (typeof value === 'string' ? value : JSON.stringify(value)))
    .join(' · ');
}
