import { createHash, createSecretKey, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  utimes,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/platform/config/config.ts';
import { loadConfig } from '../../src/platform/config/load-config.ts';
import type { DataKeyProvider } from '../../src/platform/keys/data-key-provider.ts';
import { openDataKeyProvider } from '../../src/platform/keys/key-provider.ts';
import { contentDispositionHeader } from '../../src/platform/storage/content-disposition.ts';
import {
  isLocalObjectStorage,
  type LocalObjectStorage,
  OBJECT_FILE_SUFFIX,
  OBJECTS_DIRECTORY,
  openLocalObjectStorage,
  STALE_TEMPORARY_FILE_MS,
  TEMPORARY_DIRECTORY,
} from '../../src/platform/storage/local-object-storage.ts';
import {
  DEFAULT_CHUNK_BYTES,
  encodeFixedHeader,
  FIXED_HEADER_PREFIX_BYTES,
  NONCE_BYTES,
  OBJECT_MAGIC,
  ObjectCipher,
  objectFileBytes,
  parseFixedHeader,
  SEALED_METADATA_BYTES,
  TAG_BYTES,
} from '../../src/platform/storage/object-format.ts';
import {
  MAX_SIGNED_URL_SECONDS,
  ObjectStorageError,
  type ObjectStorageErrorCode,
} from '../../src/platform/storage/object-storage.ts';
import { openObjectStorage } from '../../src/platform/storage/open-object-storage.ts';
import {
  OBJECT_URL_PATH,
  type SignedObjectRequest,
  SignedUrlError,
  type SignedUrlProblem,
  URL_SIGNING_KEY_FILE,
} from '../../src/platform/storage/signed-url.ts';

const CHUNK = DEFAULT_CHUNK_BYTES;
const SEALED_CHUNK = CHUNK + TAG_BYTES;

let dataDir: string;
let config: Config;
let dataKeys: DataKeyProvider;
let storage: LocalObjectStorage;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'peytonix-storage-'));
  config = loadConfig({ PEYTONIX_DATA_DIR: dataDir });
  dataKeys = await openDataKeyProvider(config, { create: true });
  storage = await openLocal();
});

async function openLocal(): Promise<LocalObjectStorage> {
  const opened = await openObjectStorage(config, async () => dataKeys);
  if (!isLocalObjectStorage(opened)) throw new Error(`expected local storage, got ${opened.kind}`);
  return opened;
}
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const objectFile = (key: string) =>
  path.join(dataDir, OBJECTS_DIRECTORY, `${key}${OBJECT_FILE_SUFFIX}`);
const temporaryDirectory = () => path.join(dataDir, OBJECTS_DIRECTORY, TEMPORARY_DIRECTORY);
const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Read an object until the stream ends or fails, and return what it emitted and the error. */
async function readUntilFailure(key: string): Promise<{ emitted: Buffer; error: unknown }> {
  const chunks: Buffer[] = [];
  try {
    const stream = await storage.get(key);
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { emitted: Buffer.concat(chunks), error: undefined };
  } catch (error) {
    return { emitted: Buffer.concat(chunks), error };
  }
}

/** Await a promise that must reject, and return what it rejected with. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection, but the promise resolved');
    },
    (error: unknown) => error,
  );
}

/** Call a function that must throw, and return what it threw. */
function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but the call returned');
}

function expectStorageError(error: unknown, code: ObjectStorageErrorCode): void {
  expect(error).toBeInstanceOf(ObjectStorageError);
  expect((error as ObjectStorageError).code).toBe(code);
}

function expectSignedUrlError(error: unknown, reason: SignedUrlProblem): void {
  expect(error).toBeInstanceOf(SignedUrlError);
  expect((error as SignedUrlError).reason).toBe(reason);
}

/** Byte offsets inside an object file, read from its header. */
function layoutOf(file: Buffer) {
  const wrappedKeyLength = file.readUInt16BE(FIXED_HEADER_PREFIX_BYTES - 2);
  const headerBytes = FIXED_HEADER_PREFIX_BYTES + wrappedKeyLength;
  const bodyStart = headerBytes + SEALED_METADATA_BYTES;
  return {
    headerBytes,
    bodyStart,
    chunkStart: (index: number) => bodyStart + index * SEALED_CHUNK,
  };
}

function flipByte(file: Buffer, offset: number): Buffer {
  const copy = Buffer.from(file);
  copy[offset] = (copy[offset] ?? 0) ^ 0x01;
  return copy;
}

describe('object round trip', () => {
  const sizes: Array<[string, number]> = [
    ['empty', 0],
    ['one byte', 1],
    ['small', 1000],
    ['exactly one chunk', CHUNK],
    ['one chunk plus one byte', CHUNK + 1],
    ['exactly two chunks', 2 * CHUNK],
    ['multi-chunk', 5 * CHUNK + 12_345],
  ];

  it.each(sizes)('round-trips %s object from a Buffer', async (_name, size) => {
    const plaintext = randomBytes(size);

    const stored = await storage.put('datasets/1/raw', plaintext, { contentType: 'text/csv' });

    expect(stored).toEqual({ key: 'datasets/1/raw', size, sha256: sha256Of(plaintext) });
    const roundTrip = await readAll(await storage.get('datasets/1/raw'));
    expect(roundTrip.equals(plaintext)).toBe(true);
    const file = await readFile(objectFile('datasets/1/raw'));
    expect(file.length).toBe(objectFileBytes(layoutOf(file).headerBytes, size, CHUNK));
  });

  it('round-trips a stream of uneven pieces', async () => {
    const plaintext = randomBytes(3 * CHUNK + 777);
    const pieces = [1, 7, CHUNK - 8, CHUNK, 0, 5000, CHUNK].reduce<Buffer[]>((all, length) => {
      const start = all.reduce((sum, piece) => sum + piece.length, 0);
      all.push(plaintext.subarray(start, start + length));
      return all;
    }, []);
    const consumed = pieces.reduce((sum, piece) => sum + piece.length, 0);
    pieces.push(plaintext.subarray(consumed));

    const stored = await storage.put('evidence/7', Readable.from(pieces));

    expect(stored.size).toBe(plaintext.length);
    expect(stored.sha256).toBe(sha256Of(plaintext));
    expect((await readAll(await storage.get('evidence/7'))).equals(plaintext)).toBe(true);
  });

  it('streams a 50 MB object with bounded buffering', async () => {
    const total = 50 * 1024 * 1024;
    const piece = 100_003; // not a multiple of the chunk size
    const pool = randomBytes(1024 * 1024);
    const expected = createHash('sha256');
    const temporary = temporaryDirectory();
    let maxUnwritten = 0;

    // Each yield compares the bytes produced so far with the bytes put has
    // written to its temporary file. If put buffered the body, the file
    // would stay empty and the gap would grow to the whole 50 MB.
    async function* generate(): AsyncGenerator<Buffer> {
      let produced = 0;
      let index = 0;
      while (produced < total) {
        const length = Math.min(piece, total - produced);
        const start = (index * 7919) % (pool.length - piece);
        const bytes = pool.subarray(start, start + length);
        expected.update(bytes);
        yield bytes;
        produced += length;
        index += 1;

        const [name] = await readdir(temporary);
        const written = name === undefined ? 0 : (await stat(path.join(temporary, name))).size;
        maxUnwritten = Math.max(maxUnwritten, produced - written);
      }
    }

    const stored = await storage.put(
      'datasets/big/raw',
      Readable.from(generate(), { objectMode: false }),
    );

    expect(stored.size).toBe(total);
    expect(stored.sha256).toBe(expected.digest('hex'));
    expect(maxUnwritten).toBeLessThan(8 * 1024 * 1024);

    // The consumer pauses for 20 ms at the start and after every 100th
    // chunk. A get that read ahead would fill its buffer far beyond two
    // chunks during a pause. A correct get never exceeds that bound, however
    // slow the machine, so the pauses cannot make this test fail wrongly.
    const stream = await storage.get('datasets/big/raw');
    const actual = createHash('sha256');
    let size = 0;
    let chunks = 0;
    await once(stream, 'readable');
    await sleep(20);
    let maxBuffered = stream.readableLength;
    for await (const chunk of stream) {
      actual.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      chunks += 1;
      if (chunks % 100 === 0) {
        await sleep(20);
        maxBuffered = Math.max(maxBuffered, stream.readableLength);
      }
    }
    expect(size).toBe(total);
    expect(actual.digest('hex')).toBe(stored.sha256);
    expect(maxBuffered).toBeLessThanOrEqual(2 * CHUNK);
  });
});

describe('object put', () => {
  it('accepts a matching sha256 in any case', async () => {
    const plaintext = Buffer.from('quarter,amount\nQ1,100\n');

    const stored = await storage.put('a', plaintext, {
      sha256: sha256Of(plaintext).toUpperCase(),
    });

    expect(stored.sha256).toBe(sha256Of(plaintext));
  });

  it('stores nothing on a sha256 mismatch', async () => {
    const plaintext = randomBytes(3 * CHUNK);

    const error = await rejectionOf(
      storage.put('datasets/2/raw', Readable.from([plaintext]), { sha256: 'ab'.repeat(32) }),
    );

    expectStorageError(error, 'ChecksumMismatch');
    expect(await storage.head('datasets/2/raw')).toBeNull();
    expectStorageError(await rejectionOf(storage.get('datasets/2/raw')), 'ObjectNotFound');
    expect(await readdir(temporaryDirectory())).toEqual([]);
  });

  it('rejects overwriting an object', async () => {
    const original = Buffer.from('original');
    await storage.put('k', original);

    const error = await rejectionOf(storage.put('k', Buffer.from('replacement')));

    expectStorageError(error, 'ObjectExists');
    expect((await readAll(await storage.get('k'))).equals(original)).toBe(true);
  });

  it('lets only one of two concurrent puts win', async () => {
    // Both puts pass the early existence check before either finishes, so
    // only the final link decides.
    const first = randomBytes(4 * CHUNK);
    const second = randomBytes(4 * CHUNK);

    const results = await Promise.allSettled([
      storage.put('race', Readable.from([first])),
      storage.put('race', Readable.from([second])),
    ]);

    const fulfilled = results.filter((result) => result.status === 'fulfilled');
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expectStorageError(rejected[0]?.reason, 'ObjectExists');
    const stored = await readAll(await storage.get('race'));
    const winner = results[0]?.status === 'fulfilled' ? first : second;
    expect(stored.equals(winner)).toBe(true);
    expect(await readdir(temporaryDirectory())).toEqual([]);
  });

  it('leaves no object when the body stream fails', async () => {
    const failure = new Error('upload connection reset');
    async function* failing(): AsyncGenerator<Buffer> {
      yield randomBytes(2 * CHUNK);
      throw failure;
    }

    const error = await rejectionOf(storage.put('broken', Readable.from(failing())));

    expect(error).toBe(failure);
    expect(await storage.head('broken')).toBeNull();
    expect(await readdir(temporaryDirectory())).toEqual([]);
  });

  it('reports a broken temporary directory', async () => {
    // A file in place of the directory fails every put, even for root,
    // which file permissions would not stop.
    await rm(temporaryDirectory(), { recursive: true });
    await writeFile(temporaryDirectory(), '');

    const error = await rejectionOf(storage.put('blocked', Buffer.from('x')));

    expectStorageError(error, 'StorageUnavailable');
    expect((error as Error).message).toContain('ENOTDIR');
    expect(await storage.head('blocked')).toBeNull();
  });

  it('rejects a body stream that yields strings', async () => {
    const body = Readable.from(['text']);

    const error = await rejectionOf(storage.put('strings', body));

    expect(error).toBeInstanceOf(TypeError);
    expect(await storage.head('strings')).toBeNull();
  });

  it('rejects an invalid content type', async () => {
    const error = await rejectionOf(
      storage.put('typed', Buffer.from('x'), { contentType: 'text/csv\r\nx: y' }),
    );

    expect(error).toBeInstanceOf(TypeError);
  });

  it('writes files 0600 in directories 0700 without plaintext', async () => {
    const marker = 'CONFIDENTIAL-PAYROLL-ROW;';
    const plaintext = Buffer.from(marker.repeat(20_000));

    await storage.put('datasets/3/raw', plaintext, { contentType: 'text/csv' });

    const file = objectFile('datasets/3/raw');
    const bytes = await readFile(file);
    expect(bytes.subarray(0, OBJECT_MAGIC.length).equals(OBJECT_MAGIC)).toBe(true);
    expect(bytes.includes(marker)).toBe(false);
    expect(bytes.includes(plaintext.subarray(0, 16))).toBe(false);
    expect(bytes.includes('text/csv')).toBe(false);
    expect(bytes.includes(sha256Of(plaintext))).toBe(false);
    expect(bytes.includes(Buffer.from(sha256Of(plaintext), 'hex'))).toBe(false);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dataDir, OBJECTS_DIRECTORY))).mode & 0o777).toBe(0o700);
  });

  it('keeps a key and a key below it apart', async () => {
    await storage.put('a', Buffer.from('parent'));
    await storage.put('a/b', Buffer.from('child'));

    expect((await readAll(await storage.get('a'))).toString()).toBe('parent');
    expect((await readAll(await storage.get('a/b'))).toString()).toBe('child');
  });
});

describe('object keys', () => {
  const invalidKeys: Array<[string, unknown]> = [
    ['parent reference', '../x'],
    ['absolute path', '/abs'],
    ['traversal inside', 'a/../../b'],
    ['too long', 'x'.repeat(251)],
    ['upper case', 'Datasets/1'],
    ['empty', ''],
    ['empty segment', 'a//b'],
    ['trailing slash', 'a/'],
    ['dot', 'a.b'],
    ['backslash', 'a\\b'],
    ['space', 'a b'],
    ['NUL byte', 'a\u0000b'],
    ['segment starting with a dash', 'a/-b'],
    ['not a string', 42],
  ];

  it.each(invalidKeys)('rejects a key with %s', async (_name, key) => {
    const invalid = key as string;

    expectStorageError(await rejectionOf(storage.put(invalid, Buffer.from('x'))), 'InvalidKey');
    expectStorageError(await rejectionOf(storage.get(invalid)), 'InvalidKey');
    expectStorageError(await rejectionOf(storage.head(invalid)), 'InvalidKey');
    expectStorageError(await rejectionOf(storage.delete(invalid)), 'InvalidKey');
    expectStorageError(
      await rejectionOf(storage.signedUrl(invalid, { method: 'GET', expiresInSeconds: 60 })),
      'InvalidKey',
    );
    expect(await readdir(path.join(dataDir, OBJECTS_DIRECTORY))).toEqual([TEMPORARY_DIRECTORY]);
  });

  it.each(['a', 'x'.repeat(250), 'datasets/42/raw-v1_parquet', '0/1/2'])(
    'accepts the key %s',
    async (key) => {
      await storage.put(key, Buffer.from('x'));

      expect((await storage.head(key))?.size).toBe(1);
    },
  );
});

describe('object get', () => {
  const openFileCount = async () => (await readdir('/proc/self/fd')).length;

  it('rejects a missing object', async () => {
    expectStorageError(await rejectionOf(storage.get('missing')), 'ObjectNotFound');
  });

  it('streams an object whose digest matches the expected sha256 in any case', async () => {
    const body = randomBytes(3 * CHUNK + 5);
    await storage.put('expected', body);

    const stream = await storage.get('expected', { sha256: sha256Of(body).toUpperCase() });

    expect((await readAll(stream)).equals(body)).toBe(true);
  });

  it('rejects an object whose digest differs from the expected sha256 before any byte', async () => {
    const body = randomBytes(2 * CHUNK);
    await storage.put('expected', body);
    const other = sha256Of(Buffer.from('another file'));

    const error = await rejectionOf(storage.get('expected', { sha256: other }));

    expectStorageError(error, 'ChecksumMismatch');
    expect((error as Error).message).toContain(other);
  });

  it('rejects an expected sha256 that is not 64 hexadecimal digits', async () => {
    await storage.put('expected', randomBytes(10));

    expect(await rejectionOf(storage.get('expected', { sha256: 'abc' }))).toBeInstanceOf(TypeError);
  });

  it('streams the version that head returned', async () => {
    const body = randomBytes(2 * CHUNK + 9);
    await storage.put('pinned', body);
    const info = await storage.head('pinned');
    if (info === null) throw new Error('head found no object after put');

    const stream = await storage.get('pinned', { version: info.version });

    expect((await readAll(stream)).equals(body)).toBe(true);
  });

  it('accepts a quoted upper-case ETag as the version', async () => {
    const body = Buffer.from('quoted');
    await storage.put('pinned', body);

    const stream = await storage.get('pinned', {
      version: { versionId: null, etag: `"${sha256Of(body).toUpperCase()}"` },
    });

    expect((await readAll(stream)).equals(body)).toBe(true);
  });

  it('rejects a version of bytes stored before under the key', async () => {
    await storage.put('pinned', Buffer.from('scanned and clean'));
    const scanned = await storage.head('pinned');
    if (scanned === null) throw new Error('head found no object after put');
    await storage.delete('pinned');
    await storage.put('pinned', Buffer.from('swapped after the scan'));

    const error = await rejectionOf(storage.get('pinned', { version: scanned.version }));

    expectStorageError(error, 'VersionMismatch');
    expect((error as Error).message).toContain(scanned.version.etag);
  });

  it('rejects a version with a version id', async () => {
    const body = Buffer.from('local objects have no version ids');
    await storage.put('pinned', body);

    const error = await rejectionOf(
      storage.get('pinned', { version: { versionId: 'v1', etag: sha256Of(body) } }),
    );

    expectStorageError(error, 'VersionMismatch');
  });

  it('rejects an invalid version', async () => {
    await storage.put('pinned', Buffer.from('x'));

    const emptyEtag = await rejectionOf(
      storage.get('pinned', { version: { versionId: null, etag: '' } }),
    );
    const headerBreak = await rejectionOf(
      storage.get('pinned', { version: { versionId: null, etag: 'a\r\nb' } }),
    );

    expect(emptyEtag).toBeInstanceOf(TypeError);
    expect(headerBreak).toBeInstanceOf(TypeError);
  });

  it.skipIf(process.platform !== 'linux')(
    'closes the file when a stream is destroyed',
    async () => {
      await storage.put('closing', randomBytes(8 * CHUNK));
      const before = await openFileCount();

      const unread = await storage.get('closing');
      unread.destroy();
      await once(unread, 'close');
      const partlyRead = await storage.get('closing');
      await once(partlyRead, 'readable');
      partlyRead.read(CHUNK);
      partlyRead.destroy();
      await once(partlyRead, 'close');

      expect(await openFileCount()).toBe(before);
    },
  );

  it.skipIf(process.platform !== 'linux')('closes the file after a full read', async () => {
    await storage.put('closing', randomBytes(3 * CHUNK));
    const before = await openFileCount();

    const stream = await storage.get('closing');
    await readAll(stream);
    if (!stream.closed) await once(stream, 'close');

    expect(await openFileCount()).toBe(before);
  });
});

describe('object head and delete', () => {
  it('returns the metadata that put stored', async () => {
    const createdAt = new Date('2030-04-05T06:07:08.009Z');
    const clocked = await openLocalObjectStorage({
      dataDir,
      dataKeys: async () => dataKeys,
      publicOrigin: 'http://127.0.0.1:3000',
      now: () => createdAt,
    });
    const plaintext = randomBytes(2 * CHUNK + 5);

    await clocked.put('datasets/4/parquet', plaintext, {
      contentType: 'application/vnd.apache.parquet',
    });

    expect(await clocked.head('datasets/4/parquet')).toEqual({
      size: plaintext.length,
      sha256: sha256Of(plaintext),
      contentType: 'application/vnd.apache.parquet',
      createdAt,
      version: { versionId: null, etag: sha256Of(plaintext) },
    });
  });

  it('defaults the content type to application/octet-stream', async () => {
    await storage.put('untyped', Buffer.from('x'));

    expect((await storage.head('untyped'))?.contentType).toBe('application/octet-stream');
  });

  it('reads metadata without the body', async () => {
    const plaintext = randomBytes(4 * CHUNK);
    await storage.put('headless', plaintext);
    const file = objectFile('headless');

    // Without any chunk on disk, get must fail but head still returns the metadata.
    await truncate(file, layoutOf(await readFile(file)).bodyStart);

    const info = await storage.head('headless');
    expect(info?.size).toBe(plaintext.length);
    expect(info?.sha256).toBe(sha256Of(plaintext));
    expectStorageError(await rejectionOf(storage.get('headless')), 'IntegrityError');
  });

  it('returns null for a missing object', async () => {
    expect(await storage.head('missing')).toBeNull();
  });

  it('deletes an object and allows the key again', async () => {
    await storage.put('temp', Buffer.from('first'));

    await storage.delete('temp');

    expect(await storage.head('temp')).toBeNull();
    expectStorageError(await rejectionOf(storage.get('temp')), 'ObjectNotFound');
    await storage.put('temp', Buffer.from('second'));
    expect((await readAll(await storage.get('temp'))).toString()).toBe('second');
  });

  it('deletes a missing object without error', async () => {
    await expect(storage.delete('never/stored')).resolves.toBeUndefined();
  });
});

describe('object tampering', () => {
  const KEY = 'datasets/5/raw';
  // Five chunks, the last one partial.
  const SIZE = 4 * CHUNK + 1000;
  let plaintext: Buffer;
  let original: Buffer;

  beforeEach(async () => {
    plaintext = randomBytes(SIZE);
    await storage.put(KEY, plaintext);
    original = await readFile(objectFile(KEY));
  });

  /** Replace the object file, read it, and check that it fails with at most `chunks` chunks emitted. */
  async function expectFailureAfter(tampered: Buffer, chunks: number): Promise<void> {
    await writeFile(objectFile(KEY), tampered);

    const { emitted, error } = await readUntilFailure(KEY);

    expectStorageError(error, 'IntegrityError');
    expect(emitted.length).toBeLessThanOrEqual(chunks * CHUNK);
    expect(emitted.equals(plaintext.subarray(0, emitted.length))).toBe(true);
  }

  it('reads the untampered object', async () => {
    const { emitted, error } = await readUntilFailure(KEY);

    expect(error).toBeUndefined();
    expect(emitted.equals(plaintext)).toBe(true);
  });

  const headerOffsets: Array<[string, (layout: ReturnType<typeof layoutOf>) => number]> = [
    ['magic', () => 0],
    ['version', () => OBJECT_MAGIC.length],
    ['chunk size', () => OBJECT_MAGIC.length + 4],
    ['base nonce', () => OBJECT_MAGIC.length + 6],
    ['wrapped key length', () => FIXED_HEADER_PREFIX_BYTES - 1],
    ['wrapped key', (layout) => layout.headerBytes - 3],
    ['sealed metadata', (layout) => layout.headerBytes + 20],
    ['metadata tag', (layout) => layout.bodyStart - 1],
  ];

  it.each(headerOffsets)('rejects a changed %s', async (_name, offsetOf) => {
    const tampered = flipByte(original, offsetOf(layoutOf(original)));
    await writeFile(objectFile(KEY), tampered);

    expectStorageError(await rejectionOf(storage.head(KEY)), 'IntegrityError');
    await expectFailureAfter(tampered, 0);
  });

  it('rejects a changed middle chunk before its plaintext', async () => {
    const layout = layoutOf(original);

    await expectFailureAfter(flipByte(original, layout.chunkStart(2) + 100), 2);
  });

  it('rejects a changed tag of a middle chunk', async () => {
    const layout = layoutOf(original);

    await expectFailureAfter(flipByte(original, layout.chunkStart(3) - 1), 2);
  });

  it('rejects a changed last chunk before its plaintext', async () => {
    const layout = layoutOf(original);

    await expectFailureAfter(flipByte(original, layout.chunkStart(4) + 10), 4);
  });

  it('rejects a file cut inside the last chunk', async () => {
    await expectFailureAfter(original.subarray(0, original.length - 10), 0);
  });

  it('rejects a file missing its last chunk', async () => {
    const layout = layoutOf(original);

    await expectFailureAfter(original.subarray(0, layout.chunkStart(4)), 0);
  });

  it('rejects appended bytes', async () => {
    await expectFailureAfter(Buffer.concat([original, Buffer.from([0])]), 0);
  });

  it('rejects an appended copy of a chunk', async () => {
    const layout = layoutOf(original);
    const chunk = original.subarray(layout.chunkStart(1), layout.chunkStart(2));

    await expectFailureAfter(Buffer.concat([original, chunk]), 0);
  });

  it('rejects two swapped chunks', async () => {
    const layout = layoutOf(original);
    const tampered = Buffer.from(original);
    original.copy(tampered, layout.chunkStart(1), layout.chunkStart(2), layout.chunkStart(3));
    original.copy(tampered, layout.chunkStart(2), layout.chunkStart(1), layout.chunkStart(2));

    await expectFailureAfter(tampered, 1);
  });

  it('rejects a chunk copied from another object', async () => {
    await storage.put('datasets/6/raw', randomBytes(SIZE));
    const other = await readFile(objectFile('datasets/6/raw'));
    const layout = layoutOf(original);
    const otherLayout = layoutOf(other);
    const tampered = Buffer.from(original);
    other.copy(
      tampered,
      layout.chunkStart(2),
      otherLayout.chunkStart(2),
      otherLayout.chunkStart(3),
    );

    await expectFailureAfter(tampered, 2);
  });

  it('rejects a changed chunk that lies beyond the first read of the file', async () => {
    // Reads take about 1 MiB of the file at a time, so chunk 40 comes from a later read.
    const large = randomBytes(48 * CHUNK);
    await storage.put('datasets/7/raw', large);
    const file = await readFile(objectFile('datasets/7/raw'));
    await writeFile(
      objectFile('datasets/7/raw'),
      flipByte(file, layoutOf(file).chunkStart(40) + 7),
    );

    const { emitted, error } = await readUntilFailure('datasets/7/raw');

    expectStorageError(error, 'IntegrityError');
    expect(emitted.length).toBe(40 * CHUNK);
    expect(emitted.equals(large.subarray(0, emitted.length))).toBe(true);
  });

  it('rejects a whole file copied to another key', async () => {
    await writeFile(objectFile('datasets/5/copy'), original);

    expectStorageError(await rejectionOf(storage.head('datasets/5/copy')), 'IntegrityError');
    expectStorageError(await rejectionOf(storage.get('datasets/5/copy')), 'IntegrityError');
  });
});

describe('object chunk sealing', () => {
  // The file length check in get already rejects a dropped or added chunk,
  // so the final flag is tested here on its own.
  const header = parseFixedHeader(
    encodeFixedHeader(CHUNK, randomBytes(NONCE_BYTES), randomBytes(61)),
  );
  const cipher = new ObjectCipher(createSecretKey(randomBytes(32)), header, 'k');
  const plaintext = randomBytes(100);

  it('opens a chunk at its own position', () => {
    const sealed = cipher.sealChunk(3, false, plaintext);

    expect(cipher.openChunk(3, false, sealed).equals(plaintext)).toBe(true);
  });

  it('rejects a chunk with another final flag', () => {
    const notFinal = cipher.sealChunk(3, false, plaintext);
    const final = cipher.sealChunk(3, true, plaintext);

    expectStorageError(
      catchError(() => cipher.openChunk(3, true, notFinal)),
      'IntegrityError',
    );
    expectStorageError(
      catchError(() => cipher.openChunk(3, false, final)),
      'IntegrityError',
    );
  });

  it('rejects a chunk at another index', () => {
    const sealed = cipher.sealChunk(3, false, plaintext);

    expectStorageError(
      catchError(() => cipher.openChunk(4, false, sealed)),
      'IntegrityError',
    );
  });

  it('rejects a chunk of another object', () => {
    const other = new ObjectCipher(createSecretKey(randomBytes(32)), header, 'other');
    const sealed = other.sealChunk(3, false, plaintext);

    expectStorageError(
      catchError(() => cipher.openChunk(3, false, sealed)),
      'IntegrityError',
    );
  });
});

describe('signed object URLs', () => {
  const KEY = 'datasets/8/raw';

  /** A time when the URL is still valid, so that only the tested change can fail it. */
  const beforeExpiry = (signed: { expiresAt: Date }) => new Date(signed.expiresAt.getTime() - 1000);

  /** Build the request that a client sends with `url`, as the HTTP route would pass it on. */
  function requestFor(
    url: string,
    method: string,
    headers: { contentType?: string; contentLength?: number } = {},
  ): SignedObjectRequest {
    const parsed = new URL(url);
    expect(parsed.pathname.startsWith(OBJECT_URL_PATH)).toBe(true);
    return {
      method,
      key: parsed.pathname.slice(OBJECT_URL_PATH.length),
      query: parsed.search,
      ...headers,
    };
  }

  function withQuery(url: string, change: (query: URLSearchParams) => void): string {
    const parsed = new URL(url);
    change(parsed.searchParams);
    return parsed.toString();
  }

  const putOptions = {
    method: 'PUT' as const,
    expiresInSeconds: 600,
    contentType: 'text/csv',
    contentLength: 1234,
    sha256: 'AB'.repeat(32),
  };
  const putHeaders = { contentType: 'text/csv', contentLength: 1234 };

  it('verifies a GET URL and returns its grant', async () => {
    const signed = await storage.signedUrl(KEY, {
      method: 'GET',
      expiresInSeconds: 600,
      contentType: 'text/csv',
      fileName: 'Q1 ledger.csv',
    });

    expect(signed.url.startsWith(`${config.identity.publicOrigin}${OBJECT_URL_PATH}${KEY}?`)).toBe(
      true,
    );
    expect(signed.headers).toEqual({});
    const grant = await storage.verifySignedRequest(
      requestFor(signed.url, 'GET'),
      new Date(signed.expiresAt.getTime() - 1000),
    );
    expect(grant).toEqual({
      method: 'GET',
      key: KEY,
      expiresAt: signed.expiresAt,
      contentType: 'text/csv',
      fileName: 'Q1 ledger.csv',
    });
  });

  it('verifies a GET URL with a version and disposition', async () => {
    const version = { versionId: null, etag: 'cd'.repeat(32) };
    const signed = await storage.signedUrl(KEY, {
      method: 'GET',
      expiresInSeconds: 60,
      disposition: 'inline',
      version,
    });

    const grant = await storage.verifySignedRequest(
      requestFor(signed.url, 'GET'),
      beforeExpiry(signed),
    );

    expect(grant.version).toEqual(version);
    expect(grant.disposition).toBe('inline');
    expect(new URL(signed.url).searchParams.get('etag')).toBe(version.etag);
  });

  it('keeps a version id in a GET URL', async () => {
    const version = { versionId: '3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrH', etag: '"9b2cf535f27731c9"' };
    const signed = await storage.signedUrl(KEY, { method: 'GET', expiresInSeconds: 60, version });

    const grant = await storage.verifySignedRequest(
      requestFor(signed.url, 'GET'),
      beforeExpiry(signed),
    );

    expect(grant.version).toEqual(version);
  });

  it('verifies a PUT URL with its headers', async () => {
    const signed = await storage.signedUrl(KEY, putOptions);

    expect(signed.headers).toEqual({ 'content-type': 'text/csv', 'content-length': '1234' });
    const grant = await storage.verifySignedRequest(
      requestFor(signed.url, 'PUT', putHeaders),
      new Date(signed.expiresAt.getTime() - 1000),
    );
    expect(grant.sha256).toBe('ab'.repeat(32));
    expect(grant.contentLength).toBe(1234);
  });

  it('sets the expiry from the lifetime', async () => {
    const before = Date.now();

    const signed = await storage.signedUrl(KEY, { method: 'GET', expiresInSeconds: 600 });

    expect(signed.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 600_000);
    expect(signed.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 601_000);
  });

  it('rejects an expired URL', async () => {
    const signed = await storage.signedUrl(KEY, { method: 'GET', expiresInSeconds: 60 });

    const error = await rejectionOf(
      storage.verifySignedRequest(requestFor(signed.url, 'GET'), signed.expiresAt),
    );

    expectSignedUrlError(error, 'Expired');
  });

  it('rejects an altered signature', async () => {
    const signed = await storage.signedUrl(KEY, { method: 'GET', expiresInSeconds: 60 });
    const altered = withQuery(signed.url, (query) => {
      const signature = query.get('signature') ?? '';
      const last = signature.endsWith('A') ? 'B' : 'A';
      query.set('signature', `${signature.slice(0, -1)}${last}`);
    });

    const error = await rejectionOf(
      storage.verifySignedRequest(requestFor(altered, 'GET'), beforeExpiry(signed)),
    );

    expectSignedUrlError(error, 'SignatureMismatch');
  });

  it('rejects a missing signature', async () => {
    const signed = await storage.signedUrl(KEY, { method: 'GET', expiresInSeconds: 60 });
    const altered = withQuery(signed.url, (query) => query.delete('signature'));

    const error = await rejectionOf(
      storage.verifySignedRequest(requestFor(altered, 'GET'), beforeExpiry(signed)),
    );

    expectSignedUrlError(error, 'Malformed');
  });

  it('rejects another key', async () => {
    const signed = await storage.signedUrl(KEY, { method: 'GET', expiresInSeconds: 60 });
    const request = { ...requestFor(signed.url, 'GET'), key: 'datasets/9/raw' };

    const error = await rejectionOf(storage.verifySignedRequest(request, beforeExpiry(signed)));

    expectSignedUrlError(error, 'SignatureMismatch');
  });

  it('rejects another method', async () => {
    const signed = await storage.signedUrl(KEY, { method: 'GET', expiresInSeconds: 60 });

    const error = await rejectionOf(
      storage.verifySignedRequest(requestFor(signed.url, 'PUT'), beforeExpiry(signed)),
    );

    expectSignedUrlError(error, 'SignatureMismatch');
  });

  it('rejects a method other than GET or PUT', async () => {
    const signed = await storage.signedUrl(KEY, { method: 'GET', expiresInSeconds: 60 });

    const error = await rejectionOf(
      storage.verifySignedRequest(requestFor(signed.url, 'DELETE'), beforeExpiry(signed)),
    );

    expectSignedUrlError(error, 'Malformed');
  });

  it('rejects a later expiry', async () => {
    const signed = await storage.signedUrl(KEY, { method: 'GET', expiresInSeconds: 60 });
    const altered = withQuery(signed.url, (query) =>
      query.set('expires', String(Number(query.get('expires')) + 3600)),
    );

    const error = await rejectionOf(
      storage.verifySignedRequest(requestFor(altered, 'GET'), beforeExpiry(signed)),
    );

    expectSignedUrlError(error, 'SignatureMismatch');
  });

  const alteredConstraints: Array<[string, (query: URLSearchParams) => void]> = [
    ['a changed content length', (query) => query.set('content-length', '1235')],
    ['a changed content type', (query) => query.set('content-type', 'text/html')],
    ['a changed sha256', (query) => query.set('sha256', 'cd'.repeat(32))],
    ['the sha256 removed', (query) => query.delete('sha256')],
    ['a file name added', (query) => query.set('filename', 'x.csv')],
  ];

  it.each(alteredConstraints)('rejects a PUT URL with %s', async (_name, change) => {
    const signed = await storage.signedUrl(KEY, putOptions);
    const altered = withQuery(signed.url, change);

    const error = await rejectionOf(
      storage.verifySignedRequest(requestFor(altered, 'PUT', putHeaders), beforeExpiry(signed)),
    );

    expectSignedUrlError(error, 'SignatureMismatch');
  });

  const alteredGetConstraints: Array<[string, (query: URLSearchParams) => void]> = [
    ['a changed etag', (query) => query.set('etag', 'ef'.repeat(32))],
    ['the etag removed', (query) => query.delete('etag')],
    ['a version id added', (query) => query.set('version-id', 'v2')],
    ['the disposition changed', (query) => query.set('disposition', 'inline')],
    ['the disposition removed', (query) => query.delete('disposition')],
  ];

  it.each(alteredGetConstraints)('rejects a GET URL with %s', async (_name, change) => {
    const signed = await storage.signedUrl(KEY, {
      method: 'GET',
      expiresInSeconds: 60,
      disposition: 'attachment',
      version: { versionId: null, etag: 'cd'.repeat(32) },
    });
    const altered = withQuery(signed.url, change);

    const error = await rejectionOf(
      storage.verifySignedRequest(requestFor(altered, 'GET'), beforeExpiry(signed)),
    );

    expectSignedUrlError(error, 'SignatureMismatch');
  });

  it('rejects a malformed disposition or version in a GET URL', async () => {
    const signed = await storage.signedUrl(KEY, { method: 'GET', expiresInSeconds: 60 });
    const disposition = withQuery(signed.url, (query) => query.set('disposition', 'download'));
    const versionIdAlone = withQuery(signed.url, (query) => query.set('version-id', 'v1'));

    const dispositionError = await rejectionOf(
      storage.verifySignedRequest(requestFor(disposition, 'GET'), beforeExpiry(signed)),
    );
    const versionError = await rejectionOf(
      storage.verifySignedRequest(requestFor(versionIdAlone, 'GET'), beforeExpiry(signed)),
    );

    expectSignedUrlError(dispositionError, 'Malformed');
    expectSignedUrlError(versionError, 'Malformed');
  });

  it('rejects an unknown or repeated query parameter', async () => {
    const signed = await storage.signedUrl(KEY, { method: 'GET', expiresInSeconds: 60 });
    const unknown = withQuery(signed.url, (query) => query.set('acl', 'public'));
    const repeated = withQuery(signed.url, (query) => query.append('expires', '1'));

    const unknownError = await rejectionOf(
      storage.verifySignedRequest(requestFor(unknown, 'GET'), beforeExpiry(signed)),
    );
    const repeatedError = await rejectionOf(
      storage.verifySignedRequest(requestFor(repeated, 'GET'), beforeExpiry(signed)),
    );

    expectSignedUrlError(unknownError, 'Malformed');
    expectSignedUrlError(repeatedError, 'Malformed');
  });

  it('rejects upload headers that differ from the URL', async () => {
    const signed = await storage.signedUrl(KEY, putOptions);
    const verify = (headers: { contentType?: string; contentLength?: number }) =>
      rejectionOf(
        storage.verifySignedRequest(requestFor(signed.url, 'PUT', headers), beforeExpiry(signed)),
      );

    expectSignedUrlError(
      await verify({ contentType: 'text/html', contentLength: 1234 }),
      'ConstraintMismatch',
    );
    expectSignedUrlError(
      await verify({ contentType: 'text/csv', contentLength: 99 }),
      'ConstraintMismatch',
    );
    expectSignedUrlError(await verify({ contentType: 'text/csv' }), 'ConstraintMismatch');
    expectSignedUrlError(await verify({ contentLength: 1234 }), 'ConstraintMismatch');
  });

  it('rejects options the method does not accept', async () => {
    const sign = (options: Parameters<LocalObjectStorage['signedUrl']>[1]) =>
      rejectionOf(storage.signedUrl(KEY, options));

    expect(await sign({ method: 'GET', expiresInSeconds: 0 })).toBeInstanceOf(TypeError);
    expect(
      await sign({ method: 'GET', expiresInSeconds: MAX_SIGNED_URL_SECONDS + 1 }),
    ).toBeInstanceOf(TypeError);
    expect(await sign({ method: 'GET', expiresInSeconds: 60, contentLength: 1 })).toBeInstanceOf(
      TypeError,
    );
    expect(await sign({ method: 'GET', expiresInSeconds: 60, sha256: 'ab' })).toBeInstanceOf(
      TypeError,
    );
    expect(await sign({ method: 'PUT', expiresInSeconds: 60, fileName: 'x.csv' })).toBeInstanceOf(
      TypeError,
    );
    expect(
      await sign({ method: 'GET', expiresInSeconds: 60, fileName: 'a\nb.csv' }),
    ).toBeInstanceOf(TypeError);
    expect(
      await sign({ method: 'GET', expiresInSeconds: 60, fileName: 'lone \ud800 surrogate' }),
    ).toBeInstanceOf(TypeError);
    expect(
      await sign({ method: 'PUT', expiresInSeconds: 60, disposition: 'attachment' }),
    ).toBeInstanceOf(TypeError);
    expect(
      await sign({
        method: 'GET',
        expiresInSeconds: 60,
        disposition: 'download' as unknown as 'inline',
      }),
    ).toBeInstanceOf(TypeError);
    expect(
      await sign({
        method: 'PUT',
        expiresInSeconds: 60,
        version: { versionId: null, etag: 'ab'.repeat(32) },
      }),
    ).toBeInstanceOf(TypeError);
    expect(
      await sign({ method: 'GET', expiresInSeconds: 60, version: { versionId: '', etag: 'x' } }),
    ).toBeInstanceOf(TypeError);
  });

  it('keeps the signing key in a 0600 file across restarts', async () => {
    const signed = await storage.signedUrl(KEY, { method: 'GET', expiresInSeconds: 60 });
    const keyFile = path.join(dataDir, 'keys', URL_SIGNING_KEY_FILE);
    const reopened = await openLocal();

    const grant = await reopened.verifySignedRequest(
      requestFor(signed.url, 'GET'),
      beforeExpiry(signed),
    );

    expect(grant.key).toBe(KEY);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
  });

  it('rejects a URL signed by another installation', async () => {
    const otherDir = await mkdtemp(path.join(os.tmpdir(), 'peytonix-storage-other-'));
    try {
      const otherConfig = loadConfig({ PEYTONIX_DATA_DIR: otherDir });
      const otherKeys = await openDataKeyProvider(otherConfig, { create: true });
      const other = await openObjectStorage(otherConfig, async () => otherKeys);
      const signed = await other.signedUrl(KEY, { method: 'GET', expiresInSeconds: 60 });

      const error = await rejectionOf(
        storage.verifySignedRequest(requestFor(signed.url, 'GET'), beforeExpiry(signed)),
      );

      expectSignedUrlError(error, 'SignatureMismatch');
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});

describe('content disposition header', () => {
  it('offers an ASCII name unchanged in both forms', () => {
    expect(contentDispositionHeader('attachment', 'ledger-Q1.csv')).toBe(
      `attachment; filename="ledger-Q1.csv"; filename*=UTF-8''ledger-Q1.csv`,
    );
  });

  it('replaces unsafe characters in the ASCII form only', () => {
    const header = contentDispositionHeader('inline', 'Prüfbericht «Q1» 100% "final" \\.pdf');

    expect(header).toBe(
      'inline; filename="Pr_fbericht _Q1_ 100_ _final_ _.pdf"; ' +
        "filename*=UTF-8''Pr%C3%BCfbericht%20%C2%ABQ1%C2%BB%20100%25%20%22final%22%20%5C.pdf",
    );
  });

  it('percent-encodes the characters that filename* does not allow', () => {
    expect(contentDispositionHeader('attachment', "it's (draft)*.txt")).toBe(
      `attachment; filename="it's (draft)*.txt"; filename*=UTF-8''it%27s%20%28draft%29%2A.txt`,
    );
  });
});

describe('object storage open', () => {
  it('removes stale temporary files only', async () => {
    const stale = path.join(temporaryDirectory(), 'stale.part');
    const recent = path.join(temporaryDirectory(), 'recent.part');
    await writeFile(stale, 'partial upload');
    await writeFile(recent, 'upload in progress');
    const old = new Date(Date.now() - STALE_TEMPORARY_FILE_MS - 60_000);
    await utimes(stale, old, old);

    await openObjectStorage(config, async () => dataKeys);

    expect(await readdir(temporaryDirectory())).toEqual(['recent.part']);
  });
});
