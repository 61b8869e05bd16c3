import type { Writable } from 'node:stream';
import { endOutput, writeWithBackpressure } from '../../../platform/streams/output-flow.ts';
import type { ExportSink } from './export-sink.ts';
import type { Cell } from './export-target.ts';

/**
 * Excel reliably reads a CSV file as UTF-8 only when it starts with this
 * mark (https://donatstudios.com/CSV-An-Encoding-Nightmare). Without it,
 * Excel assumes the code page of the computer's locale.
 */
const BYTE_ORDER_MARK = '\uFEFF';
const LINE_END = '\r\n';

/** Quote a field as RFC 4180 requires: when it contains a quote, a comma or a line break. */
function csvField(cell: Cell): string {
  if (cell === null) return '';
  const text = typeof cell === 'number' ? String(cell) : cell;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csvLine(cells: readonly Cell[]): string {
  return `${cells.map(csvField).join(',')}${LINE_END}`;
}

/**
 * Write RFC 4180 CSV: CRLF line ends, a header row, and a UTF-8 byte order
 * mark first. Each call writes one chunk and waits for 'drain' when the
 * output's buffer is full.
 */
export function createCsvSink(output: Writable): ExportSink {
  return {
    writeHeader: (header) => writeWithBackpressure(output, `${BYTE_ORDER_MARK}${csvLine(header)}`),
    writeRows: (rows) => writeWithBackpressure(output, rows.map(csvLine).join('')),
    finish: () => endOutput(output),
    abort: (error) => output.destroy(error),
  };
}
