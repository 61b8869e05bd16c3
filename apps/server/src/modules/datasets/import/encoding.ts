import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { ImportError } from './import-error.ts';
import { lineAtOffset, type RawFileFacts } from './raw-file.ts';
import type { TextEncoding } from './types.ts';

export interface Utf8Source {
  /** UTF-8 file for DuckDB: the source itself, or a transcoded copy. */
  path: string;
  encoding: TextEncoding;
  warnings: string[];
}

type Utf16Order = 'utf-16le' | 'utf-16be';

function bomOrder(head: Buffer): Utf16Order | undefined {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

/**
 * Guess the byte order of UTF-16 text without a BOM from where the zero bytes sit:
 * ASCII characters put them at odd offsets in little-endian text and at even offsets
 * in big-endian text. Returns undefined when the zero bytes show no such pattern.
 */
function zeroByteOrder(head: Buffer): Utf16Order | undefined {
  let evenZeros = 0;
  let oddZeros = 0;
  const length = Math.min(head.length, 4096);
  for (let index = 0; index < length; index += 1) {
    if (head[index] !== 0) continue;
    if (index % 2 === 0) evenZeros += 1;
    else oddZeros += 1;
  }
  const pairs = Math.floor(length / 2);
  if (pairs === 0) return undefined;
  if (oddZeros > pairs / 4 && evenZeros < oddZeros / 10) return 'utf-16le';
  if (evenZeros > pairs / 4 && oddZeros < evenZeros / 10) return 'utf-16be';
  return undefined;
}

/** Decode the file with `decoder` in one streaming pass and write it as UTF-8 to `target`. */
async function transcode(
  sourcePath: string,
  target: string,
  decoder: InstanceType<typeof TextDecoder>,
): Promise<void> {
  const output = createWriteStream(target);
  try {
    for await (const data of createReadStream(sourcePath, { highWaterMark: 1024 * 1024 })) {
      const text = decoder.decode(data as Buffer, { stream: true });
      if (!output.write(text)) await once(output, 'drain');
    }
    const rest = decoder.decode();
    if (rest.length > 0) output.write(rest);
  } finally {
    output.end();
    await finished(output);
  }
}

/**
 * Make the text file readable as UTF-8. An explicit encoding is trusted, except that
 * invalid UTF-8 or UTF-16 raises ENCODING_INVALID. Without one, a UTF-16 BOM or the
 * zero-byte pattern selects UTF-16, valid UTF-8 stays as it is, and anything else is
 * decoded as Windows-1252 with a warning.
 */
export async function prepareUtf8Source(
  sourcePath: string,
  fileName: string,
  facts: RawFileFacts,
  requested: TextEncoding | undefined,
  transcodedPath: string,
): Promise<Utf8Source> {
  const warnings: string[] = [];
  const order = bomOrder(facts.head) ?? zeroByteOrder(facts.head);
  let encoding: TextEncoding = 'latin-1';
  if (requested !== undefined) encoding = requested;
  else if (order !== undefined) encoding = 'utf-16';
  else if (facts.utf8Valid) encoding = 'utf-8';

  if (encoding === 'utf-8') {
    if (facts.firstInvalidUtf8Offset !== undefined) {
      const line = await lineAtOffset(sourcePath, facts.firstInvalidUtf8Offset);
      throw new ImportError(
        { code: 'ENCODING_INVALID', fileName, line },
        `${fileName}, line ${line}: the file is not valid UTF-8 (byte offset ${facts.firstInvalidUtf8Offset}). Pass encoding 'latin-1' or 'utf-16', or save the file as UTF-8.`,
      );
    }
    if (facts.head.includes(0)) {
      throw new ImportError(
        { code: 'UNSUPPORTED_FORMAT', fileName },
        `${fileName} contains NUL bytes, so it is not a UTF-8 text file. If it is UTF-16 text, pass encoding 'utf-16'; otherwise upload CSV, TSV, JSON Lines, Parquet or XLSX.`,
      );
    }
    if (facts.head[0] === 0xef && facts.head[1] === 0xbb && facts.head[2] === 0xbf) {
      // DuckDB 1.5.6's JSON reader rejects a byte order mark, so the copy drops it.
      await transcode(sourcePath, transcodedPath, new TextDecoder('utf-8'));
      return { path: transcodedPath, encoding, warnings };
    }
    return { path: sourcePath, encoding, warnings };
  }

  if (encoding === 'utf-16') {
    const byteOrder = order ?? 'utf-16le';
    try {
      await transcode(sourcePath, transcodedPath, new TextDecoder(byteOrder, { fatal: true }));
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      throw new ImportError(
        { code: 'ENCODING_INVALID', fileName },
        `${fileName} is not valid ${byteOrder.toUpperCase()} text. Check the encoding option or save the file as UTF-8.`,
        { cause: error },
      );
    }
    return { path: transcodedPath, encoding, warnings };
  }

  if (requested === undefined) {
    if (facts.head.includes(0)) {
      throw new ImportError(
        { code: 'UNSUPPORTED_FORMAT', fileName },
        `${fileName} contains NUL bytes, so it is not a text file. Upload CSV, TSV, JSON Lines, Parquet or XLSX.`,
      );
    }
    const line =
      facts.firstInvalidUtf8Offset === undefined
        ? undefined
        : await lineAtOffset(sourcePath, facts.firstInvalidUtf8Offset);
    warnings.push(
      `${fileName} is not valid UTF-8 (first at line ${line}), so it was decoded as latin-1 (Windows-1252). Pass the encoding option if that is wrong.`,
    );
  }
  // WHATWG decoders treat "latin-1" as Windows-1252: bytes 0x80-0x9F become the
  // typographic characters (€, ’, –) that Windows exports mean, not C1 controls.
  await transcode(sourcePath, transcodedPath, new TextDecoder('windows-1252'));
  return { path: transcodedPath, encoding: 'latin-1', warnings };
}
