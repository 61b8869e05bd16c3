import type { Cell, ExportTarget } from './export-target.ts';
import { neutralizeFormula } from './formula-neutralization.ts';

/**
 * One exception as the export reads it. The run is the one whose row the
 * payload is: the exported run, or for a test export the last run that
 * flagged the exception.
 */
export interface ExceptionExportRow {
  id: string;
  run_id: string;
  run_number: number | null;
  test_version: number;
  status: string;
  severity: string;
  /** The due date as YYYY-MM-DD. */
  due_on: string | null;
  assignee_email: string | null;
  disposition: string | null;
  rationale: string | null;
  duplicate_of: string | null;
  proposed_by_email: string | null;
  proposed_at: Date | null;
  reviewed_by_email: string | null;
  reviewed_at: Date | null;
  risk_accepted_by_email: string | null;
  risk_accepted_at: Date | null;
  closed_at: Date | null;
  closed_reason: string | null;
  payload: unknown;
}

type FixedColumn = [header: string, cell: (row: ExceptionExportRow, target: ExportTarget) => Cell];

const isoTime = (value: Date | null) => value?.toISOString() ?? null;

const FIXED_COLUMNS: readonly FixedColumn[] = [
  ['exception_id', (row) => row.id],
  ['entity_code', (_row, target) => target.entityCode],
  ['test_key', (_row, target) => target.testKey],
  ['test_version', (row) => row.test_version],
  ['run_id', (row) => row.run_id],
  ['run_number', (row) => row.run_number],
  ['status', (row) => row.status],
  ['severity', (row) => row.severity],
  ['due_on', (row) => row.due_on],
  ['assignee_email', (row) => row.assignee_email],
  ['disposition', (row) => row.disposition],
  ['rationale', (row) => row.rationale],
  ['duplicate_of', (row) => row.duplicate_of],
  ['proposed_by_email', (row) => row.proposed_by_email],
  ['proposed_at', (row) => isoTime(row.proposed_at)],
  ['reviewed_by_email', (row) => row.reviewed_by_email],
  ['reviewed_at', (row) => isoTime(row.reviewed_at)],
  ['risk_accepted_by_email', (row) => row.risk_accepted_by_email],
  ['risk_accepted_at', (row) => isoTime(row.risk_accepted_at)],
  ['closed_at', (row) => isoTime(row.closed_at)],
  ['closed_reason', (row) => row.closed_reason],
];

/** Prefix of the payload columns' headers, so they never collide with the fixed columns. */
export const PAYLOAD_HEADER_PREFIX = 'payload.';

/** Return the header row: the fixed columns, then one column per payload field. */
export function exportHeader(payloadKeys: readonly string[]): string[] {
  const fixed = FIXED_COLUMNS.map(([header]) => header);
  const payload = payloadKeys.map((key) => `${PAYLOAD_HEADER_PREFIX}${key}`);
  return [...fixed, ...payload];
}

/**
 * Convert one payload value to a cell. JSON numbers stay numbers, booleans
 * become "true" or "false", and arrays and objects their JSON text.
 */
function payloadCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}

function payloadValue(payload: unknown, key: string): unknown {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  return Object.hasOwn(payload, key) ? (payload as Record<string, unknown>)[key] : undefined;
}

/**
 * Return the cells of one exported row, in header order. Every text cell
 * is neutralized, so no value can start a spreadsheet formula.
 */
export function exportCells(
  row: ExceptionExportRow,
  target: ExportTarget,
  payloadKeys: readonly string[],
): Cell[] {
  const fixed = FIXED_COLUMNS.map(([, cell]) => cell(row, target));
  const payload = payloadKeys.map((key) => payloadCell(payloadValue(row.payload, key)));

  return [...fixed, ...payload].map((cell) =>
    typeof cell === 'string' ? neutralizeFormula(cell) : cell,
  );
}
