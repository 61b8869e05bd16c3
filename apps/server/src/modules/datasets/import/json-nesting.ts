import { createReadStream } from 'node:fs';
import { ImportError } from './import-error.ts';

/** Deepest nesting of arrays and objects that a JSON Lines import accepts, the record itself included. */
export const MAX_JSON_NESTING = 128;

const CR_BYTE = 0x0d;

// Classes of the bytes that the scan acts on. Every other byte is OTHER.
const OTHER = 0;
const LINE_FEED = 1;
const CARRIAGE_RETURN = 2;
const QUOTE = 3;
const BACKSLASH = 4;
const OPENING = 5;
const CLOSING = 6;

const BYTE_CLASS = new Uint8Array(256);
BYTE_CLASS[0x0a] = LINE_FEED;
BYTE_CLASS[CR_BYTE] = CARRIAGE_RETURN;
BYTE_CLASS[0x22] = QUOTE;
BYTE_CLASS[0x5c] = BACKSLASH;
BYTE_CLASS[0x5b] = OPENING;
BYTE_CLASS[0x7b] = OPENING;
BYTE_CLASS[0x5d] = CLOSING;
BYTE_CLASS[0x7d] = CLOSING;

/**
 * Reject a UTF-8 JSON Lines file in which arrays and objects nest more than
 * MAX_JSON_NESTING levels deep, before DuckDB reads it. DuckDB 1.5.6 crashed
 * the process with a native stack overflow (SIGSEGV) on one line of 80,000
 * nested arrays, and read 60,000 levels (Node.js 24.21 on Linux x64, 8 MiB
 * stack). Real extracts nest a few levels, so the limit leaves a wide margin.
 *
 * The scan streams the file once and counts brackets outside strings, where
 * a backslash escapes the next byte. DuckDB parses each LF-terminated line as
 * one document, so the depth and the string state restart at every LF but not
 * at a lone CR. The error names the physical line where the record starts,
 * counting CRLF, LF and a lone CR as line breaks as the other JSON Lines errors do.
 */
export async function rejectDeepJsonNesting(filePath: string, fileName: string): Promise<void> {
  let physicalLine = 1;
  let recordLine = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let previousChunkEndedWithCr = false;

  for await (const data of createReadStream(filePath, { highWaterMark: 1024 * 1024 })) {
    const chunk = data as Buffer;
    for (let index = 0; index < chunk.length; index += 1) {
      const byteClass = BYTE_CLASS[chunk[index] ?? 0] ?? OTHER;
      // Most bytes need no work, so one table lookup skips them.
      if (byteClass === OTHER && !escaped) continue;

      if (byteClass === LINE_FEED) {
        const afterCr = index > 0 ? chunk[index - 1] === CR_BYTE : previousChunkEndedWithCr;
        if (!afterCr) physicalLine += 1;
        recordLine = physicalLine;
        depth = 0;
        inString = false;
        escaped = false;
        continue;
      }
      if (byteClass === CARRIAGE_RETURN) physicalLine += 1;

      if (inString) {
        if (escaped) escaped = false;
        else if (byteClass === BACKSLASH) escaped = true;
        else if (byteClass === QUOTE) inString = false;
        continue;
      }
      if (byteClass === QUOTE) {
        inString = true;
      } else if (byteClass === OPENING) {
        depth += 1;
        if (depth > MAX_JSON_NESTING) throw nestingError(fileName, recordLine);
      } else if (byteClass === CLOSING && depth > 0) {
        depth -= 1;
      }
    }
    previousChunkEndedWithCr = chunk[chunk.length - 1] === CR_BYTE;
  }
}

function nestingError(fileName: string, line: number): ImportError {
  return new ImportError(
    { code: 'MALFORMED_ROW', fileName, line },
    `${fileName}, line ${line}: arrays and objects are nested more than ${MAX_JSON_NESTING} levels deep. Flatten the record to at most ${MAX_JSON_NESTING} levels and upload the file again.`,
  );
}
