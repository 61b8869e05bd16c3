import { createReadStream } from 'node:fs';

/** Single-byte ASCII characters of a delimited file. `''` disables quoting or escaping. */
export interface CsvDialect {
  delimiter: string;
  quote: string;
  escape: string;
}

/**
 * A logical line: one CSV record, which spans several physical lines when a quoted
 * field contains line breaks, or one blank line.
 */
export interface LogicalLine {
  /** 1-based physical line on which the logical line starts. */
  startLine: number;
  /** Whether the line has no characters at all (whitespace-only lines are not blank). */
  blank: boolean;
  /** Whether the line has only spaces and tabs, or nothing. */
  whitespaceOnly: boolean;
  /** Raw bytes of each field with quotes removed, collected only when `collectFields` is set. */
  fields: Buffer[] | undefined;
}

const LF = 0x0a;
const CR = 0x0d;
const NO_BYTE = -1;

function byteOf(character: string): number {
  return character === '' ? NO_BYTE : character.charCodeAt(0);
}

/**
 * Scan a UTF-8 delimited file the way DuckDB 1.5.6's strict CSV parser splits it. The
 * first `skipLines` physical lines are skipped as they are and not yielded. A quote
 * opens a quoted field only at the start of a field, CRLF, LF or a lone CR ends a line,
 * and a UTF-8 BOM is ignored.
 */
export async function* scanLogicalLines(
  filePath: string,
  dialect: CsvDialect,
  skipLines: number,
  collectFields: boolean,
): AsyncGenerator<LogicalLine> {
  const delimiter = byteOf(dialect.delimiter);
  const quote = byteOf(dialect.quote);
  const escapeByte = byteOf(dialect.escape);

  let physicalLine = 1;
  let skipped = 0;
  let previousWasCr = false;
  let atFileStart = true;

  let lineStart = 1;
  let lineLength = 0;
  let visibleLength = 0;
  let fieldStart = true;
  let inQuotes = false;
  let quoteSeen = false;
  let escapeNext = false;
  let fields: Buffer[] = [];
  let field: number[] = [];

  const finishLine = (): LogicalLine => {
    const line: LogicalLine = {
      startLine: lineStart,
      blank: lineLength === 0,
      whitespaceOnly: visibleLength === 0,
      fields: collectFields ? [...fields, Buffer.from(field)] : undefined,
    };
    lineLength = 0;
    visibleLength = 0;
    fieldStart = true;
    fields = [];
    field = [];
    return line;
  };

  for await (const data of createReadStream(filePath, { highWaterMark: 1024 * 1024 })) {
    const chunk = data as Buffer;
    let index = 0;
    if (atFileStart) {
      atFileStart = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) index = 3;
    }

    for (; index < chunk.length; index += 1) {
      const byte = chunk[index] ?? 0;

      // A lone CR ended the line already, so the LF of a CRLF pair is not a second line break.
      if (byte === LF && previousWasCr) {
        previousWasCr = false;
        continue;
      }
      previousWasCr = byte === CR;
      const isLineBreak = byte === LF || byte === CR;

      if (skipped < skipLines) {
        if (isLineBreak) {
          skipped += 1;
          physicalLine += 1;
          lineStart = physicalLine;
        }
        continue;
      }

      if (quoteSeen) {
        // In RFC 4180 quoting (escape equal to quote), a quote inside a quoted field
        // either doubles the next quote or closes the field.
        quoteSeen = false;
        if (byte === quote) {
          if (collectFields) field.push(byte);
          lineLength += 1;
          visibleLength += 1;
          continue;
        }
        inQuotes = false;
      }

      if (inQuotes) {
        lineLength += 1;
        visibleLength += 1;
        if (escapeNext) {
          escapeNext = false;
          if (collectFields) field.push(byte);
        } else if (byte === escapeByte && escapeByte !== quote) {
          escapeNext = true;
        } else if (byte === quote) {
          if (escapeByte === quote) quoteSeen = true;
          else inQuotes = false;
        } else if (collectFields) {
          field.push(byte);
        }
        if (isLineBreak) physicalLine += 1;
        continue;
      }

      if (isLineBreak) {
        physicalLine += 1;
        yield finishLine();
        lineStart = physicalLine;
        continue;
      }

      lineLength += 1;
      if (byte !== 0x20 && byte !== 0x09) visibleLength += 1;
      if (byte === delimiter) {
        if (collectFields) {
          fields.push(Buffer.from(field));
          field = [];
        }
        fieldStart = true;
      } else if (byte === quote && fieldStart) {
        inQuotes = true;
        fieldStart = false;
      } else {
        fieldStart = false;
        if (collectFields) field.push(byte);
      }
    }
  }

  if (lineLength > 0 || inQuotes) yield finishLine();
}

/**
 * Fields of the first logical line after `skipLines`, or undefined when there is none.
 * DuckDB 1.5.6 takes the header from the first logical line even when it is blank,
 * so blank lines are skipped only when `skipBlank` is set (for headerless files).
 */
export async function readFirstRecord(
  filePath: string,
  dialect: CsvDialect,
  skipLines: number,
  skipBlank: boolean,
): Promise<{ fields: string[]; line: number } | undefined> {
  for await (const line of scanLogicalLines(filePath, dialect, skipLines, true)) {
    if (line.blank && skipBlank) continue;
    return {
      fields: (line.fields ?? []).map((bytes) => bytes.toString('utf8')),
      line: line.startLine,
    };
  }
  return undefined;
}

/**
 * Map DuckDB's CSV error line numbers to physical lines. DuckDB 1.5.6 counts skipped
 * lines one by one and after them one per logical line, blank lines included.
 */
export async function physicalLinesOfLogicalLines(
  filePath: string,
  dialect: CsvDialect,
  skipLines: number,
  logicalLines: readonly number[],
): Promise<Map<number, number>> {
  const requested = new Set(logicalLines);
  const found = new Map<number, number>();
  for (const line of logicalLines) {
    if (line <= skipLines) found.set(line, line);
  }
  let logical = skipLines;
  for await (const line of scanLogicalLines(filePath, dialect, skipLines, false)) {
    logical += 1;
    if (requested.has(logical)) found.set(logical, line.startLine);
    if (found.size === requested.size) break;
  }
  return found;
}

/**
 * Map 0-based record indexes (DuckDB row ids of the staged table) to the physical line
 * where each record starts. Records are the logical lines after the skipped lines and
 * the header line, which may be blank. Other blank lines are not records, except in a
 * one-column file, where DuckDB 1.5.6 reads a blank line as a NULL value.
 */
export async function physicalLinesOfRecords(
  filePath: string,
  dialect: CsvDialect,
  options: { skipLines: number; headerLines: number; columnCount: number },
  recordIndexes: readonly number[],
): Promise<Map<number, number>> {
  const requested = new Set(recordIndexes);
  const found = new Map<number, number>();
  let headerLeft = options.headerLines;
  let record = -1;
  for await (const line of scanLogicalLines(filePath, dialect, options.skipLines, false)) {
    if (headerLeft > 0) {
      headerLeft -= 1;
      continue;
    }
    if (line.blank && options.columnCount !== 1) continue;
    record += 1;
    if (requested.has(record)) found.set(record, line.startLine);
    if (found.size === requested.size) break;
  }
  return found;
}

/**
 * Map 0-based record indexes to physical lines in a JSON Lines file, where DuckDB
 * 1.5.6 skips lines that hold only whitespace.
 */
export async function physicalLinesOfJsonRecords(
  filePath: string,
  recordIndexes: readonly number[],
): Promise<Map<number, number>> {
  const requested = new Set(recordIndexes);
  const found = new Map<number, number>();
  const noQuoting: CsvDialect = { delimiter: '', quote: '', escape: '' };
  let record = -1;
  for await (const line of scanLogicalLines(filePath, noQuoting, 0, false)) {
    if (line.whitespaceOnly) continue;
    record += 1;
    if (requested.has(record)) found.set(record, line.startLine);
    if (found.size === requested.size) break;
  }
  return found;
}
