import { createReadStream } from 'node:fs';

const NEWLINE = 0x0a;

/**
 * Maximum line length accepted. An event line is far shorter, because the
 * API's body limit bounds the details an event can carry.
 */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

export class LineTooLongError extends Error {
  constructor(lineNumber: number) {
    super(`line ${lineNumber} is longer than ${MAX_LINE_BYTES} bytes`);
    this.name = 'LineTooLongError';
  }
}

/**
 * Yield the lines of a file as Buffers without their newline. A final
 * line without a newline is yielded too. A line inside one read chunk is a
 * view into it; only a line that spans chunks is copied, once, when its
 * end arrives. Throws LineTooLongError past MAX_LINE_BYTES.
 */
export async function* readLines(file: string): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let partsLength = 0;
  let lineNumber = 1;

  for await (const chunk of createReadStream(file, {
    highWaterMark: 1 << 20,
  }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      if (parts.length === 0) {
        yield chunk.subarray(start, end);
      } else {
        yield Buffer.concat([...parts, chunk.subarray(start, end)], partsLength + end - start);
        parts = [];
        partsLength = 0;
      }
      start = end + 1;
      lineNumber += 1;
    }

    if (start < chunk.length) {
      parts.push(chunk.subarray(start));
      partsLength += chunk.length - start;
      if (partsLength > MAX_LINE_BYTES) throw new LineTooLongError(lineNumber);
    }
  }

  if (parts.length > 0) yield Buffer.concat(parts, partsLength);
}
