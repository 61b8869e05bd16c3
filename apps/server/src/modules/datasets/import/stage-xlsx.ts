import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import type { ImportDatabase } from './duckdb-sandbox.ts';
import { toNumber } from './duckdb-sandbox.ts';
import { duckdbReason, ImportError, quoteValue } from './import-error.ts';
import { quoteIdentifier, quoteLiteral } from './sql.ts';
import {
  type ColumnSource,
  positionalNames,
  resolveColumnNames,
  STAGED_TABLE,
  type StagedColumn,
  type StagedTable,
} from './staged-table.ts';

/** Column of the intermediate CSV with each row's sheet row number. */
const ROW_NUMBER_COLUMN = 'sheet_row';

type CellText = { text: string; typed: boolean } | undefined;

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * Format an Excel date as ISO text. exceljs returns the cell's wall-clock time as a UTC
 * instant, so the UTC fields are the values that Excel displays.
 */
function dateText(date: Date): string {
  const day = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  const hours = date.getUTCHours();
  const minutes = date.getUTCMinutes();
  const seconds = date.getUTCSeconds();
  const milliseconds = date.getUTCMilliseconds();
  if (hours === 0 && minutes === 0 && seconds === 0 && milliseconds === 0) return day;
  const time = `${pad(hours)}:${pad(minutes)}:${pad(seconds)}`;
  return milliseconds === 0 ? `${day} ${time}` : `${day} ${time}.${pad(milliseconds, 3)}`;
}

/**
 * Text of one cell value and whether it came from a typed cell (number, date, boolean,
 * error), whose text the engine reads in canonical notation rather than as free text.
 */
function cellText(value: ExcelJS.CellValue): CellText {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return { text: String(value), typed: true };
  if (typeof value === 'boolean') return { text: value ? 'true' : 'false', typed: true };
  if (typeof value === 'string') return value === '' ? undefined : { text: value, typed: false };
  if (value instanceof Date) return { text: dateText(value), typed: true };
  if ('richText' in value) {
    return { text: value.richText.map((part) => part.text).join(''), typed: false };
  }
  if ('error' in value) return { text: String(value.error), typed: true };
  if ('formula' in value || 'sharedFormula' in value) {
    return cellText((value as { result?: ExcelJS.CellValue }).result ?? null);
  }
  if ('text' in value) {
    const text = (value as { text: unknown }).text;
    return typeof text === 'string' ? { text, typed: false } : cellText(text as ExcelJS.CellValue);
  }
  return { text: JSON.stringify(value), typed: false };
}

function csvField(text: string | undefined): string {
  return text === undefined ? '' : `"${text.replaceAll('"', '""')}"`;
}

async function writeLine(output: WriteStream, line: string): Promise<void> {
  if (!output.write(`${line}\n`)) await once(output, 'drain');
}

interface SheetExport {
  sheetName: string;
  sourceNames: string[];
  /** Per column, whether every non-empty cell was typed (see `cellText`). */
  typedOnly: boolean[];
  width: number;
  dataRows: number;
}

interface SheetSelection {
  sheet: string | number | undefined;
  header: boolean;
  skipRows: number;
}

/** Sheet names in workbook tab order, from exceljs internals (undefined if they change). */
function workbookSheetNames(reader: unknown): string[] | undefined {
  const sheets = (reader as { model?: { sheets?: { name?: unknown }[] } }).model?.sheets;
  if (!Array.isArray(sheets)) return undefined;
  return sheets.map((sheet) => String(sheet.name ?? ''));
}

function sheetMatches(
  selection: SheetSelection['sheet'],
  name: string,
  position: number,
  sheetNames: readonly string[] | undefined,
): boolean {
  if (selection === undefined) return position === 1;
  if (typeof selection === 'number') return position === selection;
  if (name === selection) return true;
  const namedSheetExists = sheetNames?.includes(selection) ?? false;
  return !namedSheetExists && /^[1-9]\d*$/.test(selection) && position === Number(selection);
}

/**
 * Stream one worksheet into a CSV file (all fields quoted, the sheet row number first)
 * with exceljs' streaming reader, which holds one row at a time plus the workbook's
 * shared-string table.
 * NOTE: the shared-string table stays in memory, so a workbook with millions of distinct
 * strings needs memory in proportion. When a workbook stores its sheets before that
 * table, exceljs parks them in files under the operating system's temporary directory.
 */
async function exportSheet(
  sourcePath: string,
  fileName: string,
  target: string,
  selection: SheetSelection,
): Promise<SheetExport> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(sourcePath, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  const output = createWriteStream(target);
  let result: SheetExport | undefined;
  const seenSheets: string[] = [];

  try {
    for await (const worksheet of reader) {
      const name = (worksheet as unknown as { name?: string }).name ?? '';
      seenSheets.push(name);
      const order = workbookSheetNames(reader);
      const position = order === undefined ? seenSheets.length : order.indexOf(name) + 1;
      if (result !== undefined || !sheetMatches(selection.sheet, name, position, order)) {
        // exceljs' streaming reader expects every emitted worksheet to be read to its
        // end; one left unread can make the reader fail later, depending on timing.
        for await (const _row of worksheet) {
          // Skipped.
        }
        continue;
      }

      let header: string[] | undefined;
      let width = 0;
      const typedOnly: boolean[] = [];
      let dataRows = 0;
      for await (const row of worksheet) {
        if (row.number <= selection.skipRows) continue;
        const texts: CellText[] = [];
        row.eachCell({ includeEmpty: false }, (cell, column) => {
          texts[column - 1] = cellText(cell.value);
        });
        let last = texts.length;
        while (last > 0 && texts[last - 1] === undefined) last -= 1;
        if (last === 0) continue;

        if (selection.header && header === undefined) {
          header = Array.from({ length: last }, (_, index) => texts[index]?.text ?? '');
          width = last;
          continue;
        }
        if (header !== undefined && last > width) {
          const extra = texts[last - 1]?.text ?? '';
          throw new ImportError(
            { code: 'MALFORMED_ROW', fileName, line: row.number, value: extra },
            `${fileName}, sheet "${name}" row ${row.number}: the row has a value (${quoteValue(extra)}) in column ${last}, beyond the ${width} named columns. Name that column in the header row or remove the value.`,
          );
        }
        width = Math.max(width, last);
        const fields = [String(row.number)];
        for (let index = 0; index < last; index += 1) {
          const text = texts[index];
          if (text !== undefined && !text.typed) typedOnly[index] = false;
          else if (text !== undefined && typedOnly[index] === undefined) typedOnly[index] = true;
          fields.push(csvField(text?.text));
        }
        await writeLine(output, fields.join(','));
        dataRows += 1;
      }
      result = {
        sheetName: name,
        sourceNames: header ?? [],
        typedOnly: Array.from({ length: width }, (_, index) => typedOnly[index] ?? false),
        width,
        dataRows,
      };
    }
  } finally {
    output.end();
    await finished(output);
  }

  if (result === undefined) {
    throw new ImportError(
      { code: 'INVALID_OPTION', fileName },
      `${fileName} has no worksheet ${typeof selection.sheet === 'number' ? `at position ${selection.sheet}` : JSON.stringify(selection.sheet)}. Its sheets are: ${seenSheets.map((sheet) => JSON.stringify(sheet)).join(', ')}.`,
    );
  }
  return result;
}

/**
 * Load one worksheet of an XLSX workbook. Number, date and boolean cells keep their
 * type: a column holding only such cells is typed from their canonical text, while a
 * column with any text cell is inferred like a CSV column.
 */
export async function stageXlsx(
  db: ImportDatabase,
  request: { sourcePath: string; fileName: string; csvPath: string } & SheetSelection,
): Promise<StagedTable> {
  const { fileName } = request;
  const warnings: string[] = [];
  let exported: SheetExport;
  try {
    exported = await exportSheet(request.sourcePath, fileName, request.csvPath, request);
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(
      { code: 'UNREADABLE_FILE', fileName },
      `${fileName} cannot be read as an XLSX workbook: ${duckdbReason(error, request.sourcePath, fileName)}. Open it in Excel and save it again as .xlsx.`,
      { cause: error },
    );
  }
  if (exported.dataRows === 0) {
    throw new ImportError(
      { code: 'EMPTY_FILE', fileName },
      `${fileName}, sheet "${exported.sheetName}" has no data rows${request.header ? ' below the header' : ''}. Choose another sheet with the sheet option, or upload a file with data.`,
    );
  }

  const names = request.header
    ? resolveColumnNames(exported.sourceNames, fileName, warnings)
    : positionalNames(exported.width);
  const columns: StagedColumn[] = names.map((name, index) => {
    const source: ColumnSource = exported.typedOnly[index]
      ? { kind: 'canonical' }
      : { kind: 'text' };
    return { id: `c${index}`, name, sourceName: exported.sourceNames[index] ?? '', source };
  });

  const spec = [
    `${quoteLiteral(ROW_NUMBER_COLUMN)}: 'BIGINT'`,
    ...columns.map((column) => `${quoteLiteral(column.id)}: 'VARCHAR'`),
  ].join(', ');
  // Rows end at their last non-empty cell, so shorter rows are padded with NULLs. DuckDB
  // needs the sequential reader for that when quoted fields contain line breaks.
  await db.run(
    `CREATE TABLE ${STAGED_TABLE} AS SELECT * FROM read_csv(${quoteLiteral(request.csvPath)}, auto_detect = false, header = false, delim = ',', quote = '"', escape = '"', null_padding = true, parallel = false, columns = {${spec}})`,
  );

  const rowNumber = quoteIdentifier(ROW_NUMBER_COLUMN);
  return {
    columns,
    rowsSql: `(SELECT rowid AS rid, * FROM ${STAGED_TABLE})`,
    locate: async (rowIds) => {
      if (rowIds.length === 0) return new Map();
      const rows = await db.all(
        `SELECT rowid AS rid, ${rowNumber} AS sheet_row FROM ${STAGED_TABLE} WHERE rowid IN (${rowIds.map(Number).join(', ')})`,
      );
      return new Map(rows.map((row) => [toNumber(row.rid), toNumber(row.sheet_row)]));
    },
    positionLabel: `sheet "${exported.sheetName}" row`,
    applied: {
      sheet: exported.sheetName,
      header: request.header,
      skipRows: request.skipRows,
    },
    warnings,
  };
}
