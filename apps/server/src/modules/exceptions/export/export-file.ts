import { CONTENT_TYPES } from './export-sink.ts';
import type { ExportFormat, ExportTarget } from './export-target.ts';

/** The name, content type and row count of an export file, known before its first byte. */
export interface ExportFile {
  format: ExportFormat;
  /** Letters, digits, dots, dashes and underscores only, so it is safe in a header and on disk. */
  fileName: string;
  contentType: string;
  /** Data rows the file will hold, below its header row. */
  rowCount: number;
}

const UNSAFE_FILE_NAME_CHARACTERS = /[^A-Za-z0-9._-]/g;

/**
 * Describe the file: named after the entity, the test, the run number for a
 * run export, and the UTC time, such as
 * exceptions_AP_duplicate-payments-exact_run-3_20250102T030405Z.csv.
 */
export function describeExportFile(
  format: ExportFormat,
  target: ExportTarget,
  rowCount: number,
  now: Date,
): ExportFile {
  const stamp = now
    .toISOString()
    .replaceAll(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const parts = ['exceptions', target.entityCode, target.testKey];
  if (target.kind === 'run') parts.push(`run-${target.runNumber}`);
  parts.push(stamp);

  const base = parts.map((part) => part.replaceAll(UNSAFE_FILE_NAME_CHARACTERS, '_')).join('_');
  return { format, fileName: `${base}.${format}`, contentType: CONTENT_TYPES[format], rowCount };
}
