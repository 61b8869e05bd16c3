import { createReadStream } from 'node:fs';

const NEWLINE = 0x0a;

/**
 * Yield the lines of a file as Buffers without their newline. A final
 * line without a newline is yielded too. Lines are views into the read
 * chunks where possible, so a large export is split without copying.
 */
export async function* readLines(file: string): AsyncGenerator<Buffer> {
  let carry: Buffer | null = null;

  for await (const chunk of createReadStream(file, {
    highWaterMark: 1 << 20,
  }) as AsyncIterable<Buffer>) {
    let start = 0;
    let data = chunk;
    if (carry !== null) {
      data = Buffer.concat([carry, chunk]);
      carry = null;
    }

    for (let end = data.indexOf(NEWLINE, start); end !== -1; end = data.indexOf(NEWLINE, start)) {
      yield data.subarray(start, end);
      start = end + 1;
    }
    if (start < data.length) carry = Buffer.from(data.subarray(start));
  }

  if (carry !== null) yield carry;
}
