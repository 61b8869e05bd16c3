import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClamdScanner, parseScanReply } from '../../src/platform/scanning/clamd-client.ts';
import {
  clamdInstalled,
  EICAR,
  PEYTONIX_BODY_MARKER,
  PEYTONIX_HASH_SAMPLE,
  startTestClamd,
  type TestClamd,
} from '../support/clamd.ts';

const chunks = (...parts: Buffer[]) => Readable.from(parts);

if (!clamdInstalled && process.env.CI !== 'true') {
  process.stderr.write('NOTICE: skipping the clamd tests: /usr/sbin/clamd is not installed\n');
}

describe('clamd replies', () => {
  it.each([
    ['stream: OK\0', { kind: 'clean' }],
    [
      'stream: Eicar-Test-Signature FOUND\0',
      { kind: 'infected', signature: 'Eicar-Test-Signature' },
    ],
    ['INSTREAM size limit exceeded. ERROR\0', { kind: 'error', reason: 'size_limit' }],
    [
      'stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND\0',
      { kind: 'error', reason: 'size_limit' },
    ],
    ["stream: Can't allocate memory ERROR\0", { kind: 'error', reason: 'scanner_error' }],
    ['stream: OK FOUND?\0', { kind: 'error', reason: 'scanner_error' }],
    ['', { kind: 'error', reason: 'scanner_error' }],
  ])('reads %j', (reply, verdict) => {
    expect(parseScanReply(reply)).toMatchObject(verdict);
  });
});

describe.skipIf(!clamdInstalled && process.env.CI !== 'true')('clamd INSTREAM', () => {
  let clamd: TestClamd;
  let limited: TestClamd;

  beforeAll(async () => {
    if (!clamdInstalled) throw new Error('clamd is not installed; .ci/run installs clamav-daemon');
    [clamd, limited] = await Promise.all([
      startTestClamd(),
      startTestClamd({ streamMaxLength: '1M' }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await clamd?.close();
    await limited?.close();
  });

  const scanner = () => createClamdScanner({ address: clamd.address, timeoutMs: 10_000 });

  it('reports a clean file as clean', async () => {
    const verdict = await scanner().scan(chunks(Buffer.from('vendor,amount\nV1,10.00\n')));

    expect(verdict).toEqual({ kind: 'clean' });
  });

  it('finds EICAR, our hash sample and our body marker', async () => {
    const eicar = await scanner().scan(chunks(EICAR));
    const sample = await scanner().scan(chunks(PEYTONIX_HASH_SAMPLE));
    const marker = await scanner().scan(
      chunks(Buffer.alloc(200_000, 'a'), Buffer.from(PEYTONIX_BODY_MARKER), Buffer.alloc(10, 'b')),
    );

    // clamd marks signatures outside its official databases as UNOFFICIAL.
    expect(eicar).toEqual({ kind: 'infected', signature: 'Eicar-Test-Signature.UNOFFICIAL' });
    expect(sample).toEqual({ kind: 'infected', signature: 'Peytonix.Test.HashSample.UNOFFICIAL' });
    expect(marker).toMatchObject({
      kind: 'infected',
      signature: expect.stringContaining('Peytonix.Test.BodyMarker'),
    });
  });

  it('splits a large write into chunks', async () => {
    const tiny = createClamdScanner({ address: clamd.address, chunkBytes: 7 });

    const verdict = await tiny.scan(chunks(EICAR));

    expect(verdict).toMatchObject({ kind: 'infected' });
  });

  it('reports a stream over the size limit as an error, not clean', async () => {
    const verdict = await createClamdScanner({ address: limited.address }).scan(
      chunks(...Array.from({ length: 40 }, () => Buffer.alloc(64 * 1024, 'x'))),
    );

    expect(verdict).toMatchObject({ kind: 'error', reason: 'size_limit' });
  });

  it('reports a stopped clamd as unreachable, and recovers when it restarts', async () => {
    await clamd.stop();
    const stopped = await scanner().scan(chunks(Buffer.from('hello')));
    const pingStopped = await scanner().ping();
    await clamd.start();
    const restarted = await scanner().scan(chunks(Buffer.from('hello')));

    expect(stopped).toMatchObject({ kind: 'error', reason: 'unreachable' });
    expect(pingStopped).toBe(false);
    expect(restarted).toEqual({ kind: 'clean' });
  }, 120_000);

  /** Run `scan` against a fake clamd on loopback whose connection handler is `serve`. */
  const withFakeClamd = async <T>(
    serve: (socket: import('node:net').Socket) => void,
    scan: (port: number) => Promise<T>,
  ): Promise<T> => {
    const { createServer } = await import('node:net');
    // The client resets connections it gives up on; the fake ignores that.
    const fake = createServer((socket) => {
      socket.on('error', () => {});
      serve(socket);
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const address = fake.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      return await scan(address.port);
    } finally {
      fake.close();
    }
  };

  it('rejects a verdict sent before the end of the stream', async () => {
    const verdict = await withFakeClamd(
      // It replies at once and reads nothing, as a broken scanner might.
      (socket) => {
        socket.write('stream: OK\0');
      },
      (port) =>
        createClamdScanner({ address: { host: '127.0.0.1', port }, timeoutMs: 2_000 }).scan(
          chunks(Buffer.alloc(4 * 1024 * 1024, 0x61)),
        ),
    );

    expect(verdict).toMatchObject({ kind: 'error', reason: 'scanner_error' });
  });

  it('times out on a reply trickled byte by byte', async () => {
    const verdict = await withFakeClamd(
      (socket) => {
        let received = Buffer.alloc(0);
        socket.on('data', (data: Buffer) => {
          received = Buffer.concat([received, data]);
          if (!received.subarray(-4).equals(Buffer.alloc(4))) return;
          const reply = Buffer.from('stream: OK\0');
          let index = 0;
          const timer = setInterval(() => {
            if (socket.destroyed || index >= reply.length) {
              clearInterval(timer);
              return;
            }
            socket.write(reply.subarray(index, index + 1));
            index += 1;
          }, 100);
        });
      },
      (port) =>
        createClamdScanner({ address: { host: '127.0.0.1', port }, timeoutMs: 300 }).scan(
          chunks(Buffer.from('hello')),
        ),
    );

    expect(verdict).toMatchObject({ kind: 'error', reason: 'timeout' });
  });

  it('names no address when clamd is unreachable', async () => {
    const verdict = await withFakeClamd(
      (socket) => socket.destroy(),
      async (port) => {
        // A port that was just free and is closed again refuses connections.
        return createClamdScanner({
          address: { host: '127.0.0.1', port },
          timeoutMs: 1_000,
        });
      },
    ).then(async (scanner) => scanner.scan(chunks(Buffer.from('hello'))));

    expect(verdict.kind).toBe('error');
    expect(JSON.stringify(verdict)).not.toContain('127.0.0.1');
  });

  it('times out on a server that never answers', async () => {
    const { createServer } = await import('node:net');
    const silent = createServer((socket) => {
      socket.on('error', () => {});
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const verdict = await createClamdScanner({
        address: { host: '127.0.0.1', port: address.port },
        timeoutMs: 300,
      }).scan(chunks(Buffer.from('hello')));

      expect(verdict).toMatchObject({ kind: 'error', reason: 'timeout' });
    } finally {
      silent.close();
    }
  });
});
