import type { Writable } from 'node:stream';
import { createCsvSink } from './csv-sink.ts';
import type { Cell, ExportFormat } from './export-target.ts';
import { createXlsxSink } from './xlsx-sink.ts';

/** Writes one export file into an output stream, waiting while the output is full. */
export interface ExportSink {
  writeHeader(header: readonly string[]): Promise<void>;
  writeRows(rows: readonly (readonly Cell[])[]): Promise<void>;
  /** Complete the file, end the output and wait until it has taken every byte. */
  finish(): Promise<void>;
  /** Stop writing and destroy the output, so the reader sees an incomplete file. */
  abort(error: Error): void;
}

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

export function createExportSink(format: ExportFormat, output: Writable): ExportSink {
  return format === 'csv' ? createCsvSink(output) : createXlsxSink(output);
}
