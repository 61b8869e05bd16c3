import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { ImportError } from './import-error.ts';
import type { ImportFormat } from './types.ts';

const HEAD_BYTES = 64 * 1024;

export interface RawFileFacts {
  sha256: string;
  size: number;
  /** The first 64 KiB, for format and encoding detection. */
  head: Buffer;
  /** Whether the whole file is valid UTF-8. */
  utf8Valid: boolean;
  /** Byte offset of the first byte that breaks UTF-8, when `utf8Valid` is false. */
  firstInvalidUtf8Offset: number | undefined;
}

/**
 * Length of the longest prefix of `chunk` that does not end inside a multi-byte
 * UTF-8 sequence, so the rest can be carried over to the next chunk.
 */
function completeUtf8Length(chunk: Buffer): number {
  const end = chunk.length;
  for (let back = 1; back <= 3 && back <= end; back += 1) {
    const byte = chunk[end - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue;
    if (byte < 0x80) return end;
    let expected = 2;
    if (byte >= 0xf0) expected = 4;
    else if (byte >= 0xe0) expected = 3;
    return back < expected ? end - back : end;
  }
  return end;
}

/** Offset of the first byte in `bytes` that does not start or continue a valid UTF-8 sequence (RFC 3629). */
function firstInvalidUtf8(bytes: Buffer): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index] ?? 0;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    let length: number;
    let secondMin = 0x80;
    let secondMax = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead === 0xe0) secondMin = 0xa0;
      if (lead === 0xed) secondMax = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead === 0xf0) secondMin = 0x90;
      if (lead === 0xf4) secondMax = 0x8f;
    } else return index;
    for (let next = 1; next < length; next += 1) {
      const byte = bytes[index + next];
      if (byte === undefined) return index;
      const min = next === 1 ? secondMin : 0x80;
      const max = next === 1 ? secondMax : 0xbf;
      if (byte < min || byte > max) return index;
    }
    index += length;
  }
  return bytes.length;
}

/** Read the file once: SHA-256, size, the first bytes and, for text formats, UTF-8 validity. */
export async function inspectRawFile(filePath: string, checkUtf8: boolean): Promise<RawFileFacts> {
  const hash = createHash('sha256');
  const headParts: Buffer[] = [];
  let headLength = 0;
  let size = 0;
  let carry: Buffer = Buffer.alloc(0);
  let firstInvalidUtf8Offset: number | undefined;

  for await (const data of createReadStream(filePath, { highWaterMark: 1024 * 1024 })) {
    const chunk = data as Buffer;
    hash.update(chunk);
    if (headLength < HEAD_BYTES) {
      const part = chunk.subarray(0, HEAD_BYTES - headLength);
      headParts.push(part);
      headLength += part.length;
    }
    if (checkUtf8 && firstInvalidUtf8Offset === undefined) {
      const bytes = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const complete = completeUtf8Length(bytes);
      const body = bytes.subarray(0, complete);
      if (!isUtf8(body)) {
        firstInvalidUtf8Offset = size - carry.length + firstInvalidUtf8(body);
      }
      carry = Buffer.from(bytes.subarray(complete));
    }
    size += chunk.length;
  }
  if (checkUtf8 && firstInvalidUtf8Offset === undefined && carry.length > 0) {
    firstInvalidUtf8Offset = size - carry.length;
  }

  return {
    sha256: hash.digest('hex'),
    size,
    head: Buffer.concat(headParts),
    utf8Valid: firstInvalidUtf8Offset === undefined,
    firstInvalidUtf8Offset,
  };
}

/** SHA-256 and size of a file, read as a stream. */
export async function fingerprintFile(filePath: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const data of createReadStream(filePath, { highWaterMark: 1024 * 1024 })) {
    const chunk = data as Buffer;
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** 1-based line number of the byte at `offset`, counting LF characters before it. */
export async function lineAtOffset(filePath: string, offset: number): Promise<number> {
  let line = 1;
  if (offset <= 0) return line;
  for await (const data of createReadStream(filePath, { end: offset - 1 })) {
    const chunk = data as Buffer;
    for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) {
      line += 1;
    }
  }
  return line;
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);
const PARQUET_MAGIC = Buffer.from('PAR1');

function extensionFormat(fileName: string): ImportFormat | undefined {
  switch (path.extname(fileName).toLowerCase()) {
    case '.csv':
    case '.txt':
      return 'csv';
    case '.tsv':
    case '.tab':
      return 'tsv';
    case '.jsonl':
    case '.ndjson':
    case '.json':
      return 'jsonl';
    case '.parquet':
      return 'parquet';
    case '.xlsx':
    case '.xlsm':
      return 'xlsx';
    default:
      return undefined;
  }
}

/**
 * Pick the format from the content's magic bytes first and the file name second, and
 * check that an explicit format matches the content.
 */
export function detectFormat(
  head: Buffer,
  fileName: string,
  requested: ImportFormat | undefined,
): ImportFormat {
  const isParquet = head.subarray(0, 4).equals(PARQUET_MAGIC);
  const isZip = head.subarray(0, 4).equals(ZIP_MAGIC);
  if (head.subarray(0, 4).equals(OLE_MAGIC)) {
    throw new ImportError(
      { code: 'UNSUPPORTED_FORMAT', fileName },
      `${fileName} is a legacy Excel (.xls) or other OLE2 file, which cannot be imported. Save it as .xlsx or CSV and upload it again.`,
    );
  }

  if (requested !== undefined) {
    const binaryMismatch =
      (requested === 'parquet' && !isParquet) ||
      (requested === 'xlsx' && !isZip) ||
      (requested !== 'parquet' && requested !== 'xlsx' && (isParquet || isZip));
    if (binaryMismatch) {
      throw new ImportError(
        { code: 'UNSUPPORTED_FORMAT', fileName },
        `${fileName} does not contain ${requested} data (its first bytes do not match). Check the file or omit the format to detect it.`,
      );
    }
    return requested;
  }

  if (isParquet) return 'parquet';
  if (isZip) {
    if (extensionFormat(fileName) === 'xlsx' || head.includes('xl/')) return 'xlsx';
    throw new ImportError(
      { code: 'UNSUPPORTED_FORMAT', fileName },
      `${fileName} is a ZIP archive but not an XLSX workbook. Upload the extract itself as CSV, TSV, JSON Lines, Parquet or XLSX.`,
    );
  }
  const byName = extensionFormat(fileName);
  if (byName !== undefined && byName !== 'parquet' && byName !== 'xlsx') return byName;

  const firstText = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  return firstText.startsWith('{') ? 'jsonl' : 'csv';
}
