import { open } from 'node:fs/promises';
import type { ImportDatabase } from './duckdb-sandbox.ts';
import { toNumber, toOptionalString } from './duckdb-sandbox.ts';
import { ImportError, quoteValue } from './import-error.ts';
import {
  type CsvDialect,
  physicalLinesOfLogicalLines,
  physicalLinesOfRecords,
  readFirstRecord,
} from './line-scanner.ts';
import { quoteIdentifier, quoteLiteral } from './sql.ts';
import {
  positionalNames,
  rejectTooManyColumns,
  resolveColumnNames,
  STAGED_TABLE,
  type StagedColumn,
  type StagedTable,
} from './staged-table.ts';
import type { ParseOptions } from './types.ts';

export interface DelimitedSource {
  /** UTF-8 file that DuckDB reads. */
  path: string;
  fileName: string;
  format: 'csv' | 'tsv';
  options: ParseOptions;
  /** Most columns the file may have, checked on the first record before DuckDB reads the rest. */
  maxColumns: number;
}

interface Layout {
  dialect: CsvDialect;
  skipRows: number;
  header: boolean;
}

interface SniffResult {
  delimiter: string | undefined;
  quote: string | undefined;
  escape: string | undefined;
  skipRows: number | undefined;
  header: boolean | undefined;
}

/** sniff_csv reports a missing quote or escape as "(empty)". */
function sniffedCharacter(value: unknown): string | undefined {
  const text = toOptionalString(value);
  if (text === undefined) return undefined;
  return text === '(empty)' ? '' : text;
}

function checkCharacter(
  name: 'delimiter' | 'quote' | 'escape',
  value: string,
  allowEmpty: boolean,
  fileName: string,
): void {
  const valid =
    (allowEmpty && value === '') ||
    (value.length === 1 && value.charCodeAt(0) < 0x80 && value !== '\n' && value !== '\r');
  if (!valid) {
    throw new ImportError(
      { code: 'INVALID_OPTION', fileName },
      `${fileName}: the ${name} option ${JSON.stringify(value)} is invalid. It must be one ASCII character other than a line break${allowEmpty ? ", or '' for none" : ''}.`,
    );
  }
}

/** Ask DuckDB's sniffer for what the options leave open. Fields are undefined when it fails. */
async function sniff(
  db: ImportDatabase,
  filePath: string,
  explicit: {
    delimiter?: string;
    quote?: string;
    escape?: string;
    skipRows?: number;
    header?: boolean;
  },
): Promise<SniffResult> {
  const args = [quoteLiteral(filePath)];
  if (explicit.delimiter !== undefined) args.push(`delim = ${quoteLiteral(explicit.delimiter)}`);
  if (explicit.quote !== undefined) args.push(`quote = ${quoteLiteral(explicit.quote)}`);
  if (explicit.escape !== undefined) args.push(`escape = ${quoteLiteral(explicit.escape)}`);
  if (explicit.skipRows !== undefined) args.push(`skip = ${explicit.skipRows}`);
  if (explicit.header !== undefined) args.push(`header = ${explicit.header}`);
  try {
    const [row] = await db.all(
      `SELECT Delimiter, Quote, Escape, SkipRows, HasHeader FROM sniff_csv(${args.join(', ')})`,
    );
    return {
      delimiter: sniffedCharacter(row?.Delimiter),
      quote: sniffedCharacter(row?.Quote),
      escape: sniffedCharacter(row?.Escape),
      skipRows: row?.SkipRows === undefined ? undefined : toNumber(row.SkipRows),
      header: typeof row?.HasHeader === 'boolean' ? row.HasHeader : undefined,
    };
  } catch {
    // The sniffer rejects files with inconsistent rows. The strict read then reports the
    // offending line, which is more useful than the sniffer's message.
    return {
      delimiter: undefined,
      quote: undefined,
      escape: undefined,
      skipRows: undefined,
      header: undefined,
    };
  }
}

const DELIMITER_CANDIDATES = [',', ';', '\t', '|'];
const GUESS_LINES = 20;

/**
 * Count each candidate delimiter in the first lines after `skipRows` (quotes ignored).
 * The sniffer falls back to a one-column reading with a delimiter that never occurs
 * when rows are inconsistent, so these counts overrule it.
 */
async function delimiterCounts(filePath: string, skipRows: number): Promise<Map<string, number>> {
  const handle = await open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const lines = buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .split(/\r\n|\n|\r/)
      .slice(skipRows, skipRows + GUESS_LINES);
    return new Map(
      DELIMITER_CANDIDATES.map((candidate) => [
        candidate,
        lines.reduce((sum, line) => sum + line.split(candidate).length - 1, 0),
      ]),
    );
  } finally {
    await handle.close();
  }
}

async function resolveLayout(db: ImportDatabase, source: DelimitedSource): Promise<Layout> {
  const { options, fileName } = source;
  const explicitDelimiter = options.delimiter ?? (source.format === 'tsv' ? '\t' : undefined);
  if (explicitDelimiter !== undefined)
    checkCharacter('delimiter', explicitDelimiter, false, fileName);
  if (options.quote !== undefined) checkCharacter('quote', options.quote, true, fileName);
  if (options.escape !== undefined) checkCharacter('escape', options.escape, true, fileName);
  if (
    options.skipRows !== undefined &&
    !(Number.isInteger(options.skipRows) && options.skipRows >= 0)
  ) {
    throw new ImportError(
      { code: 'INVALID_OPTION', fileName },
      `${fileName}: skipRows must be a whole number of 0 or more, not ${options.skipRows}.`,
    );
  }

  const explicit = {
    ...(explicitDelimiter === undefined ? {} : { delimiter: explicitDelimiter }),
    ...(options.quote === undefined ? {} : { quote: options.quote }),
    ...(options.escape === undefined ? {} : { escape: options.escape }),
    ...(options.skipRows === undefined ? {} : { skipRows: options.skipRows }),
    ...(options.header === undefined ? {} : { header: options.header }),
  };
  // Lines are skipped only when the caller says so: the sniffer also skips leading lines
  // whose field count differs, which would silently drop malformed records.
  const sniffed = await sniff(db, source.path, { ...explicit, skipRows: options.skipRows ?? 0 });

  let delimiter = explicitDelimiter ?? sniffed.delimiter ?? ',';
  if (explicitDelimiter === undefined) {
    const counts = await delimiterCounts(source.path, options.skipRows ?? 0);
    if ((counts.get(delimiter) ?? 0) === 0) {
      const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
      if (best !== undefined && best[1] > 0) {
        delimiter = best[0];
        sniffed.quote = undefined;
        sniffed.escape = undefined;
        sniffed.header = undefined;
      }
    }
  }
  // A file without any quoted field sniffs as "no quote". RFC 4180 quoting reads such a
  // file the same way and still copes with quoted fields beyond the sniffed sample.
  const quote = options.quote ?? (sniffed.quote || '"');
  const escapeCharacter = options.escape ?? (sniffed.escape || quote);
  checkCharacter('delimiter', delimiter, false, fileName);
  return {
    dialect: { delimiter, quote, escape: escapeCharacter },
    skipRows: options.skipRows ?? 0,
    header: options.header ?? sniffed.header ?? true,
  };
}

const NUMBER_LIKE = /^[-+]?\(?[-+]?[$£€¥]?\s*\d[\d,.' ]*\)?-?$/;
const DATE_LIKE = /^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T][\d:.]+)?$/;

/**
 * Check whether a first-row field is a number or a date, which a column name almost
 * never is. DuckDB 1.5.6's sniffer reports a header for short files whose first row is data.
 */
function looksLikeData(field: string): boolean {
  const value = field.trim();
  return NUMBER_LIKE.test(value) || DATE_LIKE.test(value);
}

/**
 * Find the first field of a record's first line that does not start with the
 * quote character but contains it, such as `=HYPERLINK("http://x"`. DuckDB
 * 1.5.6 reports such a line as an unterminated quote when a later field of it
 * then starts with a quote. Returns the field's 1-based number and text.
 */
export function findQuoteInUnquotedField(
  line: string,
  dialect: CsvDialect,
): { fieldNumber: number; field: string } | undefined {
  const { delimiter, quote, escape: escapeCharacter } = dialect;
  if (quote === '') return undefined;

  let index = 0;
  for (let fieldNumber = 1; index <= line.length; fieldNumber += 1) {
    if (line[index] === quote) {
      // Skip the quoted field up to its closing quote, then to the next delimiter.
      index += 1;
      while (index < line.length) {
        const character = line[index];
        if (escapeCharacter !== quote && escapeCharacter !== '' && character === escapeCharacter) {
          index += 2;
        } else if (character === quote && escapeCharacter === quote && line[index + 1] === quote) {
          index += 2;
        } else if (character === quote) {
          index += 1;
          break;
        } else {
          index += 1;
        }
      }
      const next = line.indexOf(delimiter, index);
      if (next === -1) return undefined;
      index = next + 1;
      continue;
    }

    const next = line.indexOf(delimiter, index);
    const end = next === -1 ? line.length : next;
    const field = line.slice(index, end);
    if (field.includes(quote)) return { fieldNumber, field };
    if (next === -1) return undefined;
    index = next + 1;
  }
  return undefined;
}

/** Lines at the top that DuckDB's sniffer would skip, as a hint for a MALFORMED_ROW message. */
async function suggestedSkipRows(
  db: ImportDatabase,
  source: DelimitedSource,
  layout: Layout,
): Promise<number | undefined> {
  if (source.options.skipRows !== undefined) return undefined;
  const sniffed = await sniff(db, source.path, { delimiter: layout.dialect.delimiter });
  return sniffed.skipRows !== undefined && sniffed.skipRows > 0 ? sniffed.skipRows : undefined;
}

/** Turn a DuckDB CSV error into MALFORMED_ROW with the physical line of the bad record. */
async function malformedRowError(
  db: ImportDatabase,
  error: Error,
  source: DelimitedSource,
  layout: Layout,
  columnCount: number,
): Promise<ImportError | undefined> {
  const message = error.message;
  const lineMatch = /CSV Error on Line: (\d+)/.exec(message);
  if (lineMatch === null) return undefined;
  const reportedLine = Number(lineMatch[1]);
  const lines = await physicalLinesOfLogicalLines(source.path, layout.dialect, layout.skipRows, [
    reportedLine,
  ]);
  const line = lines.get(reportedLine) ?? reportedLine;

  const original =
    /Original Line: ([^\n]*(?:\n(?!Expected|Value with|Possible fixes)[^\n]*)*)/.exec(message);
  const value = original?.[1]?.replace(/^\n+/, '').trimEnd();
  const counts = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
  const delimiterName = layout.dialect.delimiter === '\t' ? 'tab' : `"${layout.dialect.delimiter}"`;

  let problem: string;
  let fix: string;
  let causeFound = false;
  if (counts !== null) {
    // DuckDB stops counting one field past the expected number, so only "fewer" is exact.
    const found = Number(counts[2]);
    const columnsText = `${columnCount} ${columnCount === 1 ? 'column' : 'columns'}`;
    if (found < columnCount) {
      problem = `the row has ${found} ${found === 1 ? 'field' : 'fields'}, but the header has ${columnsText}`;
      fix = 'Add the missing fields, or correct the row.';
    } else {
      problem = `the row has more fields than the header's ${columnsText}`;
      fix = `Quote fields that contain the ${delimiterName} delimiter, or correct the row.`;
    }
  } else if (/unterminated quote/i.test(message)) {
    const firstLine = value?.split(/\r\n|\n|\r/)[0] ?? '';
    const unquoted = findQuoteInUnquotedField(firstLine, layout.dialect);
    if (unquoted === undefined) {
      problem = `a quoted field is not closed`;
      fix = `Close the quote, or pass quote: '' if quotes in this file are plain characters.`;
    } else {
      const quote = layout.dialect.quote;
      problem = `field ${unquoted.fieldNumber}, ${unquoted.field.slice(0, 80)}, contains the quote character ${quote} but does not start with it`;
      fix = `Enclose the whole field in ${quote} and double each ${quote} inside it, or pass quote: '' if ${quote} in this file is a plain character.`;
      // The sniffer's skipRows hint only reflects this same bad line.
      causeFound = true;
    }
  } else if (/Maximum line size/i.test(message)) {
    problem = 'the row is longer than the maximum line size of 2 MB';
    fix = 'Check the quote and delimiter options.';
  } else {
    problem = 'the row cannot be parsed';
    fix = 'Check the delimiter, quote and escape options.';
  }
  const skip = causeFound ? undefined : await suggestedSkipRows(db, source, layout);
  if (skip !== undefined && line <= skip + 1) {
    fix += ` If the first ${skip} lines are a title and not data, pass skipRows: ${skip}.`;
  }
  return new ImportError(
    {
      code: 'MALFORMED_ROW',
      fileName: source.fileName,
      line,
      ...(value === undefined ? {} : { value }),
    },
    `${source.fileName}, line ${line}: ${problem}${value === undefined ? '' : ` (${quoteValue(value)})`}. ${fix}`,
    { cause: error },
  );
}

/**
 * Load a CSV or TSV file into the staging table as text, one VARCHAR column per
 * field, in file order. DuckDB reads in strict mode, so rows with a wrong field
 * count and unclosed quotes raise MALFORMED_ROW instead of being padded or dropped.
 */
export async function stageDelimited(
  db: ImportDatabase,
  source: DelimitedSource,
): Promise<StagedTable> {
  const { fileName } = source;
  const warnings: string[] = [];
  const layout = await resolveLayout(db, source);

  let first = await readFirstRecord(source.path, layout.dialect, layout.skipRows, !layout.header);
  if (first !== undefined && layout.header && source.options.header === undefined) {
    if (first.fields.every(looksLikeData)) {
      layout.header = false;
      first = await readFirstRecord(source.path, layout.dialect, layout.skipRows, true);
    }
  }
  const firstNonBlank = await readFirstRecord(source.path, layout.dialect, layout.skipRows, true);
  if (first === undefined || firstNonBlank === undefined) {
    throw new ImportError(
      { code: 'EMPTY_FILE', fileName },
      layout.skipRows > 0
        ? `${fileName} has only blank lines after the ${layout.skipRows} skipped lines. Lower skipRows, or upload a file with data.`
        : `${fileName} has only blank lines. Upload a file with data.`,
    );
  }
  rejectTooManyColumns(first.fields.length, source.maxColumns, fileName);
  const sourceNames = layout.header ? first.fields : first.fields.map(() => '');
  const names = layout.header
    ? resolveColumnNames(first.fields, fileName, warnings)
    : positionalNames(first.fields.length);
  const columns: StagedColumn[] = names.map((name, index) => ({
    id: `c${index}`,
    name,
    sourceName: sourceNames[index] ?? '',
    source: { kind: 'text' },
  }));

  const columnSpec = columns.map((column) => `${quoteLiteral(column.id)}: 'VARCHAR'`).join(', ');
  const readSql = `read_csv(${quoteLiteral(source.path)}, auto_detect = false, strict_mode = true, header = ${layout.header}, skip = ${layout.skipRows}, delim = ${quoteLiteral(layout.dialect.delimiter)}, quote = ${quoteLiteral(layout.dialect.quote)}, escape = ${quoteLiteral(layout.dialect.escape)}, columns = {${columnSpec}})`;
  try {
    await db.run(`CREATE TABLE ${STAGED_TABLE} AS SELECT * FROM ${readSql}`);
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    const malformed = await malformedRowError(db, error, source, layout, columns.length);
    throw malformed ?? error;
  }

  const locate = (rowIds: readonly number[]) =>
    physicalLinesOfRecords(
      source.path,
      layout.dialect,
      {
        skipLines: layout.skipRows,
        headerLines: layout.header ? 1 : 0,
        columnCount: columns.length,
      },
      rowIds,
    );

  // DuckDB reads a blank line of a one-column file as a NULL value. Like a blank line in
  // a wider file, it is not a record.
  const keptRows = columns.length === 1 ? ` WHERE ${quoteIdentifier('c0')} IS NOT NULL` : '';
  let rowsSql = `(SELECT rowid AS rid, * FROM ${STAGED_TABLE}${keptRows})`;

  // Extracts concatenated from several files repeat the header line; such rows are
  // dropped, because every value in them would be a column name.
  if (layout.header) {
    const repeatsHeader = columns
      .map(
        (column, index) =>
          `coalesce(trim(${quoteIdentifier(column.id)}), '') = ${quoteLiteral((first.fields[index] ?? '').trim())}`,
      )
      .join(' AND ');
    const [repeats] = await db.all(
      `SELECT count(*) AS n, min(rowid) AS first FROM ${STAGED_TABLE} WHERE ${repeatsHeader}`,
    );
    const repeatCount = toNumber(repeats?.n);
    if (repeatCount > 0) {
      const firstRow = toNumber(repeats?.first);
      const line = (await locate([firstRow])).get(firstRow);
      warnings.push(
        `${fileName}: removed ${repeatCount} ${repeatCount === 1 ? 'row that repeats' : 'rows that repeat'} the header line (first at line ${line ?? 'unknown'}).`,
      );
      rowsSql = `(SELECT rowid AS rid, * FROM ${STAGED_TABLE} WHERE NOT (${repeatsHeader})${keptRows.replace(' WHERE ', ' AND ')})`;
    }
  }

  return {
    columns,
    rowsSql,
    locate,
    positionLabel: 'line',
    applied: {
      delimiter: layout.dialect.delimiter,
      quote: layout.dialect.quote,
      escape: layout.dialect.escape,
      header: layout.header,
      skipRows: layout.skipRows,
    },
    warnings,
  };
}
