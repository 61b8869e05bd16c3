import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportError } from '../../src/modules/datasets/import/import-error.ts';
import {
  MAX_JSON_NESTING,
  rejectDeepJsonNesting,
} from '../../src/modules/datasets/import/json-nesting.ts';

/** Size of the chunks the scan reads, so tests can put bytes on either side of a boundary. */
const CHUNK_BYTES = 1024 * 1024;

let directory: string;
let fileCount = 0;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'peytonix-json-nesting-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Scan `content` and return the ImportError, or undefined when the file passes. */
async function scan(content: string): Promise<ImportError | undefined> {
  fileCount += 1;
  const filePath = path.join(directory, `file-${fileCount}.jsonl`);
  await writeFile(filePath, content);
  try {
    await rejectDeepJsonNesting(filePath, 'ledger.jsonl');
    return undefined;
  } catch (error) {
    if (error instanceof ImportError) return error;
    throw error;
  }
}

/** Build an object whose value `a` nests `levels - 1` arrays, so the record nests `levels` levels. */
function recordOfDepth(levels: number): string {
  return `{"a": ${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
}

describe('rejectDeepJsonNesting', () => {
  it('accepts the maximum depth', async () => {
    expect(await scan(`${recordOfDepth(MAX_JSON_NESTING)}\n`)).toBeUndefined();
  });

  it('rejects one level more', async () => {
    const error = await scan(`{"a": 1}\n${recordOfDepth(MAX_JSON_NESTING + 1)}\n`);

    expect(error?.code).toBe('MALFORMED_ROW');
    expect(error?.fileName).toBe('ledger.jsonl');
    expect(error?.line).toBe(2);
    expect(error?.message).toBe(
      'ledger.jsonl, line 2: arrays and objects are nested more than 128 levels deep. Flatten the record to at most 128 levels and upload the file again.',
    );
  });

  it('counts objects and arrays alike', async () => {
    const objects = `${'{"a": '.repeat(MAX_JSON_NESTING)}1${'}'.repeat(MAX_JSON_NESTING)}`;

    expect(await scan(`${objects}\n`)).toBeUndefined();
    expect((await scan(`[${objects}]\n`))?.line).toBe(1);
  });

  it('ignores brackets inside strings', async () => {
    const brackets = '[{'.repeat(MAX_JSON_NESTING);

    expect(await scan(`{"memo": "${brackets}", "${brackets}": 1}\n`)).toBeUndefined();
    expect(await scan(`{"memo": "say \\"${brackets}\\" twice"}\n`)).toBeUndefined();
  });

  it('ends a string after an escaped backslash', async () => {
    const error = await scan(`{"path": "C:\\\\", "b": ${recordOfDepth(MAX_JSON_NESTING)}}\n`);

    expect(error?.code).toBe('MALFORMED_ROW');
  });

  it('restarts the depth at each line feed', async () => {
    const unclosed = '['.repeat(MAX_JSON_NESTING - 1);

    expect(await scan(`{"a": ${unclosed}\n{"a": ${unclosed}\n`)).toBeUndefined();
    const afterUnclosedString = `{"memo": "unclosed\n${recordOfDepth(MAX_JSON_NESTING + 1)}\n`;
    expect((await scan(afterUnclosedString))?.line).toBe(2);
  });

  it('keeps the depth across a lone carriage return', async () => {
    const half = '['.repeat(MAX_JSON_NESTING / 2 + 1);

    const error = await scan(`{"a": 1}\n${half}\r${half}\n`);

    expect(error?.line).toBe(2);
  });

  it('numbers lines as CRLF, LF and lone CR breaks', async () => {
    const deep = recordOfDepth(MAX_JSON_NESTING + 1);

    expect((await scan(`{"a": 1}\r\n{"a": 2}\r\n${deep}\r\n`))?.line).toBe(3);
    expect((await scan(`{"a": 1}\r{"a": 2}\n${deep}\n`))?.line).toBe(3);
  });

  it('keeps an escape across a chunk boundary', async () => {
    // The backslash is the last byte of the first chunk and escapes the quote that opens the second.
    const prefix = '{"memo": "';
    const filler = 'x'.repeat(CHUNK_BYTES - prefix.length - 1);
    const content = `${prefix}${filler}\\"${'['.repeat(MAX_JSON_NESTING + 1)}"}\n`;

    expect(await scan(content)).toBeUndefined();
  });

  it('counts a CRLF split across chunks as one break', async () => {
    const first = `{"memo": "${'x'.repeat(CHUNK_BYTES - 13)}"}`;
    const content = `${first}\r\n${recordOfDepth(MAX_JSON_NESTING + 1)}\n`;

    expect(Buffer.byteLength(first)).toBe(CHUNK_BYTES - 1);
    expect((await scan(content))?.line).toBe(2);
  });
});
