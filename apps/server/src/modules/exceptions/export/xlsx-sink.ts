import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import {
  assertOutputOpen,
  untilFinished,
  waitForDrain,
} from '../../../platform/streams/output-flow.ts';
import type { ExportSink } from './export-sink.ts';
import type { Cell } from './export-target.ts';

/** Excel's maximum rows per worksheet, the header row included. */
export const XLSX_MAX_ROWS = 1_048_576;

/** Excel's maximum characters in one cell. */
const XLSX_MAX_CELL_CHARACTERS = 32_767;

/** Worksheet XML that may wait for compression before writing waits, in bytes. */
const MAX_PENDING_XML_BYTES = 1024 * 1024;

/** How often a waiting write checks the pending XML again, in milliseconds. */
const PENDING_CHECK_MS = 20;

/**
 * Buffer size of the zip archiver's streams, in bytes, in place of
 * archiver 5's default of 1 MiB. A client that stops reading leaves these
 * buffers full until the export times out.
 */
const ZIP_BUFFER_BYTES = 64 * 1024;

/** Return the archiver inside exceljs's workbook writer (the undocumented `zip` member in exceljs 4.4). */
function zipOf(workbook: ExcelJS.stream.xlsx.WorkbookWriter): { abort(): unknown } {
  const zip = (workbook as unknown as { zip?: { abort?: unknown } }).zip;
  if (typeof zip?.abort !== 'function') {
    throw new Error(
      'exceljs no longer keeps its archiver in WorkbookWriter.zip. Check the exceljs version against xlsx-sink.ts.',
    );
  }
  return zip as { abort(): unknown };
}

/**
 * Return a reader of the worksheet XML bytes that wait to be compressed.
 * exceljs 4.4 writes rows into its own stream without backpressure, and
 * archiver 5 pipes that stream into a PassThrough (readable-stream 2) that
 * buffers whatever the zip has not taken yet. When the output is slow, that
 * buffer is where an export would pile up, so the sink watches its length.
 */
function pendingXmlBytes(worksheet: ExcelJS.Worksheet): () => number {
  const stream = (worksheet as unknown as { stream?: { pipes?: unknown[] } }).stream;
  const entry = stream?.pipes?.[0] as { _writableState?: { length?: unknown } } | undefined;
  const state = entry?._writableState;
  if (typeof state?.length !== 'number') {
    throw new Error(
      'exceljs or archiver no longer buffer worksheet XML where xlsx-sink.ts expects it, so an XLSX export cannot bound its memory. Check their versions against xlsx-sink.ts.',
    );
  }
  return () => state.length as number;
}

/**
 * Cut text longer than a cell can hold, and mark the cut in the cell. exceljs
 * itself drops the control characters that XML cannot carry (all below
 * U+0020 except tab, line feed and carriage return).
 */
function xlsxCell(cell: Cell): Cell {
  if (typeof cell !== 'string' || cell.length <= XLSX_MAX_CELL_CHARACTERS) return cell;
  const marker = ` [truncated from ${cell.length} characters]`;
  return `${cell.slice(0, XLSX_MAX_CELL_CHARACTERS - marker.length).toWellFormed()}${marker}`;
}

/**
 * Write one worksheet with exceljs's streaming writer: no shared-string
 * table and no styles, so each committed row leaves memory. Cells are text
 * or numbers only, never formulas. After each call, writing waits until no
 * more than MAX_PENDING_XML_BYTES of XML wait for the zip, which takes more
 * only as the output drains.
 */
export function createXlsxSink(output: Writable): ExportSink {
  // exceljs's types omit highWaterMark, but exceljs passes every zip option on to archiver.
  const zipOptions: Partial<ExcelJS.stream.xlsx.ArchiverZipOptions> & { highWaterMark: number } = {
    highWaterMark: ZIP_BUFFER_BYTES,
  };
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: output,
    useStyles: false,
    useSharedStrings: false,
    zip: zipOptions,
  });
  workbook.creator = 'Peytonix';
  const zip = zipOf(workbook);
  const worksheet = workbook.addWorksheet('exceptions', {
    views: [{ state: 'frozen', ySplit: 1 }],
  });

  const pending = pendingXmlBytes(worksheet);

  const waitForOutput = async () => {
    while (pending() > MAX_PENDING_XML_BYTES) {
      await waitForDrain(output, PENDING_CHECK_MS);
    }
  };

  return {
    async writeHeader(header) {
      assertOutputOpen(output);
      worksheet.addRow([...header]).commit();
    },

    async writeRows(rows) {
      assertOutputOpen(output);
      for (const row of rows) worksheet.addRow(row.map(xlsxCell)).commit();
      await waitForOutput();
    },

    async finish() {
      assertOutputOpen(output);
      worksheet.commit();
      // commit() waits only for the output's 'finish', so it would never
      // settle if the output closed early. untilFinished rejects in that case.
      await Promise.all([workbook.commit(), untilFinished(output)]);
    },

    abort(error) {
      // Destroyed first, so the aborted archiver cannot end the output as if complete.
      output.destroy(error);
      zip.abort();
    },
  };
}
