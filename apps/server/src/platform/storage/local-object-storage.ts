import { createHash, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { type FileHandle, link, lstat, mkdir, open, readdir, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DATA_KEY_BYTES, type DataKeyProvider } from '../keys/data-key-provider.ts';
import { memoizeKey } from '../keys/key-provider.ts';
import { KeyProviderError } from '../keys/key-provider-error.ts';
import {
  assertChunkSize,
  chunkCount,
  DEFAULT_CHUNK_BYTES,
  encodeFixedHeader,
  FIXED_HEADER_PREFIX_BYTES,
  type FixedHeader,
  integrityError,
  maxObjectBytes,
  NONCE_BYTES,
  ObjectCipher,
  type ObjectMetadata,
  objectFileBytes,
  parseFixedHeader,
  parseFixedHeaderPrefix,
  SEALED_METADATA_BYTES,
  TAG_BYTES,
} from './object-format.ts';
import {
  assertContentType,
  assertObjectKey,
  DEFAULT_CONTENT_TYPE,
  describeVersion,
  type GetObjectOptions,
  normalizeSha256,
  type ObjectInfo,
  type ObjectStorage,
  ObjectStorageError,
  type ObjectVersion,
  type PutObjectOptions,
  type SignedUrl,
  type SignedUrlOptions,
  type StoredObject,
  sameEtag,
  validateObjectVersion,
  validateSignedUrlOptions,
} from './object-storage.ts';
import {
  createSignedObjectUrl,
  openUrlSigningKey,
  type SignedObjectGrant,
  type SignedObjectRequest,
  verifySignedObjectRequest,
} from './signed-url.ts';

/** Directory under the data directory that contains object files. */
export const OBJECTS_DIRECTORY = 'objects';
/**
 * Directory under OBJECTS_DIRECTORY for uploads in progress. Keys never
 * start with '.', so no object path can fall inside it.
 */
export const TEMPORARY_DIRECTORY = '.tmp';
/**
 * Suffix of every object file. Keys contain no '.', so the file of key
 * `a` (`a.obj`) never collides with the directory of key `a/b`.
 */
export const OBJECT_FILE_SUFFIX = '.obj';
const TEMPORARY_FILE_SUFFIX = '.part';
/**
 * Age after which an unchanged temporary file counts as left by a crashed
 * upload. A running upload writes its file continuously, so only an upload
 * stalled this long loses its file.
 */
export const STALE_TEMPORARY_FILE_MS = 24 * 60 * 60 * 1000;

/** Sealed bytes a reader takes from an object file per read, about 16 chunks of the default size. */
const READ_AHEAD_BYTES = 1024 * 1024;

// KeyProviderError reasons that mean the wrapped key in the file was
// altered, from the local provider and from KMS Decrypt.
const ALTERED_WRAPPED_KEY_REASONS = new Set([
  'InvalidWrappedKey',
  'InvalidCiphertext',
  'InvalidCiphertextException',
]);

export interface LocalObjectStorageOptions {
  dataDir: string;
  /** Returns the provider of per-object data keys; called on first use, not at open. */
  dataKeys: () => Promise<DataKeyProvider>;
  /** Origin that signed URLs point at, such as https://audit.example.com. */
  publicOrigin: string;
  /** Plaintext bytes per encrypted chunk of new objects; default 64 KiB. */
  chunkSize?: number;
  /** Clock for creation times and URL expiry. */
  now?: () => Date;
}

/** The local adapter: encrypted object files under `<dataDir>/objects`. */
export interface LocalObjectStorage extends ObjectStorage {
  readonly kind: 'local';
  /** Absolute path of the objects directory. */
  readonly directory: string;
  /**
   * Check a request made with a URL from `signedUrl` and return what it
   * allows. Rejects with a SignedUrlError when the request is not allowed.
   */
  verifySignedRequest(request: SignedObjectRequest, now?: Date): Promise<SignedObjectGrant>;
}

/** Narrow an opened storage to the local adapter, for its adapter-only methods. */
export function isLocalObjectStorage(storage: ObjectStorage): storage is LocalObjectStorage {
  return storage.kind === 'local';
}

/**
 * Open the local object storage: create `<dataDir>/objects` with mode 0700
 * and remove temporary files that crashed uploads left behind.
 */
export async function openLocalObjectStorage(
  options: LocalObjectStorageOptions,
): Promise<LocalObjectStorage> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_BYTES;
  assertChunkSize(chunkSize);
  const now = options.now ?? (() => new Date());
  const directory = path.resolve(options.dataDir, OBJECTS_DIRECTORY);
  const temporaryDirectory = path.join(directory, TEMPORARY_DIRECTORY);

  try {
    await mkdir(temporaryDirectory, { recursive: true, mode: 0o700 });
    await removeStaleTemporaryFiles(temporaryDirectory, now().getTime() - STALE_TEMPORARY_FILE_MS);
  } catch (error) {
    throw new ObjectStorageError(
      'StorageUnavailable',
      '',
      `Opening the object storage in ${directory} failed (${errorCode(error)}); ` +
        'check that the data directory exists and that this user may write to it.',
      { cause: error },
    );
  }
  return new LocalObjectStorageAdapter(options, directory, chunkSize, now);
}

async function removeStaleTemporaryFiles(directory: string, modifiedBefore: number): Promise<void> {
  for (const name of await readdir(directory)) {
    if (!name.endsWith(TEMPORARY_FILE_SUFFIX)) continue;
    const file = path.join(directory, name);
    const info = await lstat(file);
    if (info.isFile() && info.mtimeMs < modifiedBefore) {
      await rm(file, { force: true });
    }
  }
}

class LocalObjectStorageAdapter implements LocalObjectStorage {
  readonly kind = 'local';
  readonly directory: string;
  readonly #temporaryDirectory: string;
  readonly #chunkSize: number;
  readonly #dataKeys: () => Promise<DataKeyProvider>;
  readonly #publicOrigin: string;
  readonly #now: () => Date;
  readonly #signingKey: () => Promise<KeyObject>;

  constructor(
    options: LocalObjectStorageOptions,
    directory: string,
    chunkSize: number,
    now: () => Date,
  ) {
    this.directory = directory;
    this.#temporaryDirectory = path.join(directory, TEMPORARY_DIRECTORY);
    this.#chunkSize = chunkSize;
    this.#dataKeys = options.dataKeys;
    this.#publicOrigin = options.publicOrigin;
    this.#now = now;
    const dataDir = options.dataDir;
    this.#signingKey = memoizeKey(async () => openUrlSigningKey(dataDir, await options.dataKeys()));
  }

  async put(
    key: string,
    body: Readable | Buffer,
    options: PutObjectOptions = {},
  ): Promise<StoredObject> {
    assertObjectKey(key);
    const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    assertContentType(contentType);
    const expectedSha256 =
      options.sha256 === undefined ? undefined : normalizeSha256(options.sha256, 'options.sha256');
    const file = this.#objectPath(key);

    // A cheap early check before reading a large body. The link below is
    // what guarantees that no object is ever replaced.
    if (await this.#exists(key, file)) {
      throw objectExists(key);
    }

    const { cipher, header } = await this.#newObjectCipher(key);
    const temporary = path.join(
      this.#temporaryDirectory,
      `${randomBytes(16).toString('hex')}${TEMPORARY_FILE_SUFFIX}`,
    );
    const handle = await this.#fileSystem(key, 'create a temporary file', () =>
      open(temporary, 'wx', 0o600),
    );
    let handleOpen = true;
    try {
      const headerBytes = header.bytes;
      await this.#fileSystem(key, 'write the temporary file', () =>
        writeFully(handle, headerBytes, 0),
      );

      // The metadata slot stays empty until the body's size and digest are
      // known. The file becomes visible under the key only after that.
      const digest = createHash('sha256');
      let size = 0;
      let position = headerBytes.length + SEALED_METADATA_BYTES;
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(
        source,
        sealChunks(cipher, this.#chunkSize, (plaintext) => {
          digest.update(plaintext);
          size += plaintext.length;
        }),
        async (sealedChunks: AsyncIterable<Buffer>) => {
          for await (const sealed of sealedChunks) {
            const at = position;
            await this.#fileSystem(key, 'write the temporary file', () =>
              writeFully(handle, sealed, at),
            );
            position += sealed.length;
          }
        },
      );

      const sha256 = digest.digest('hex');
      if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
        throw new ObjectStorageError(
          'ChecksumMismatch',
          key,
          `The body for object "${key}" has SHA-256 ${sha256}, but the request expected ` +
            `${expectedSha256}; nothing was stored. Upload the file again.`,
        );
      }

      const metadata = cipher.sealMetadata({
        size,
        sha256,
        contentType,
        createdAt: this.#now(),
      });
      await this.#fileSystem(key, 'write the temporary file', () =>
        writeFully(handle, metadata, headerBytes.length),
      );
      await this.#fileSystem(key, 'flush the temporary file', () => handle.sync());
      handleOpen = false;
      await this.#fileSystem(key, 'close the temporary file', () => handle.close());

      await this.#publish(key, temporary, file);
      return { key, size, sha256 };
    } finally {
      // Cleanup must not hide the error that brought us here, and a
      // leftover temporary file is removed at the next open once stale.
      if (handleOpen) await handle.close().catch(() => undefined);
      await rm(temporary, { force: true }).catch(() => undefined);
    }
  }

  async get(key: string, options: GetObjectOptions = {}): Promise<Readable> {
    assertObjectKey(key);
    const expectedSha256 =
      options.sha256 === undefined ? undefined : normalizeSha256(options.sha256, 'options.sha256');
    const expectedVersion =
      options.version === undefined ? undefined : validateObjectVersion(options.version);
    const opened = await this.#openObject(key);
    if (opened === null) {
      throw new ObjectStorageError(
        'ObjectNotFound',
        key,
        `No object is stored under the key "${key}".`,
      );
    }

    // The reader checks the content against the authenticated digest, so
    // comparing that digest here covers every byte the stream will emit.
    if (expectedSha256 !== undefined && opened.metadata.sha256 !== expectedSha256) {
      await opened.handle.close();
      throw new ObjectStorageError(
        'ChecksumMismatch',
        key,
        `Object "${key}" has SHA-256 ${opened.metadata.sha256}, not the expected ${expectedSha256}.`,
      );
    }
    // The version is the same authenticated digest, so this check too covers every byte.
    if (expectedVersion !== undefined && !isVersionOf(expectedVersion, opened.metadata.sha256)) {
      await opened.handle.close();
      throw new ObjectStorageError(
        'VersionMismatch',
        key,
        `Object "${key}" has ETag ${opened.metadata.sha256}, not the expected ` +
          `${describeVersion(expectedVersion)}, so the key names other bytes than the version that was read.`,
      );
    }

    const reader = new ChunkReader(opened);
    try {
      await reader.checkFileLength();
    } catch (error) {
      await reader.close();
      throw error;
    }

    const stream: Readable = new Readable({
      // Readable calls read again only after a push, and one push is at most
      // one chunk, so about two chunks of plaintext are buffered at a time.
      highWaterMark: opened.header.chunkSize,
      read() {
        reader.next().then(
          (plaintext) => stream.push(plaintext),
          (error: unknown) => stream.destroy(error as Error),
        );
      },
      destroy(error, callback) {
        reader.close().then(
          () => callback(error),
          (closeError: unknown) => callback(error ?? (closeError as Error)),
        );
      },
    });
    return stream;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertObjectKey(key);
    const opened = await this.#openObject(key);
    if (opened === null) return null;
    await opened.handle.close();
    const { size, sha256, contentType, createdAt } = opened.metadata;
    return { size, sha256, contentType, createdAt, version: localVersion(sha256) };
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    try {
      await unlink(this.#objectPath(key));
    } catch (error) {
      if (isMissing(error)) return;
      throw this.#unavailable(key, 'delete the object file', error);
    }
    // NOTE: emptied parent directories stay. Removing them could race with a
    // put that has just created the same directory for its link.
  }

  async signedUrl(key: string, options: SignedUrlOptions): Promise<SignedUrl> {
    assertObjectKey(key);
    const normalized = validateSignedUrlOptions(options);
    const signingKey = await this.#signingKey();
    return createSignedObjectUrl(signingKey, this.#publicOrigin, key, normalized, this.#now());
  }

  async verifySignedRequest(
    request: SignedObjectRequest,
    now: Date = this.#now(),
  ): Promise<SignedObjectGrant> {
    const signingKey = await this.#signingKey();
    return verifySignedObjectRequest(signingKey, request, now);
  }

  #objectPath(key: string): string {
    const file = path.join(this.directory, `${key}${OBJECT_FILE_SUFFIX}`);
    // assertObjectKey already makes escaping impossible; this guards
    // against a future change to the key pattern.
    if (!file.startsWith(`${this.directory}${path.sep}`)) {
      throw new ObjectStorageError(
        'InvalidKey',
        key,
        `The object key "${key}" leaves the storage directory.`,
      );
    }
    return file;
  }

  async #exists(key: string, file: string): Promise<boolean> {
    try {
      await lstat(file);
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw this.#unavailable(key, 'check the object file', error);
    }
  }

  async #newObjectCipher(key: string): Promise<{ cipher: ObjectCipher; header: FixedHeader }> {
    const provider = await this.#dataKeys();
    const { plaintext, wrapped } = await provider.generateDataKey(objectKeyContext(key));
    let dataKey: KeyObject;
    try {
      if (plaintext.length !== DATA_KEY_BYTES) {
        throw new KeyProviderError(
          'InvalidDataKey',
          `The ${provider.description} key provider returned a ${plaintext.length}-byte data key ` +
            `for object "${key}", not a ${DATA_KEY_BYTES}-byte AES-256 key.`,
        );
      }
      // The KeyObject keeps its own copy outside the JavaScript heap.
      dataKey = createSecretKey(plaintext);
    } finally {
      plaintext.fill(0);
    }
    const header = parseFixedHeader(
      encodeFixedHeader(this.#chunkSize, randomBytes(NONCE_BYTES), wrapped),
    );
    return { cipher: new ObjectCipher(dataKey, header, key), header };
  }

  /**
   * Link the finished temporary file to the object path. Unlike rename,
   * link fails with EEXIST instead of replacing a file, so of two puts of
   * one key exactly one succeeds.
   */
  async #publish(key: string, temporary: string, file: string): Promise<void> {
    const directory = path.dirname(file);
    await this.#fileSystem(key, 'create the object directory', () =>
      mkdir(directory, { recursive: true, mode: 0o700 }),
    );
    try {
      await link(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw objectExists(key);
      throw this.#unavailable(key, 'link the object file', error);
    }
    // Persist the directory entry so that a stored object survives a crash.
    await this.#fileSystem(key, 'flush the object directory', async () => {
      const directoryHandle = await open(directory, 'r');
      try {
        await directoryHandle.sync();
      } finally {
        await directoryHandle.close();
      }
    });
  }

  /**
   * Open an object file and authenticate its header and metadata. Returns
   * null when there is no file. On success the caller owns the handle.
   */
  async #openObject(key: string): Promise<OpenedObject | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.#objectPath(key), 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw this.#unavailable(key, 'open the object file', error);
    }

    try {
      const prefix = await this.#read(key, handle, 0, FIXED_HEADER_PREFIX_BYTES);
      const { wrappedKeyLength } = parseFixedHeaderPrefix(prefix, key);
      const rest = await this.#read(
        key,
        handle,
        FIXED_HEADER_PREFIX_BYTES,
        wrappedKeyLength + SEALED_METADATA_BYTES,
      );
      if (rest.length < wrappedKeyLength) {
        throw integrityError(key, 'the file ends inside its wrapped key');
      }
      const header = parseFixedHeader(Buffer.concat([prefix, rest.subarray(0, wrappedKeyLength)]));
      const cipher = new ObjectCipher(await this.#unwrapDataKey(key, header), header, key);
      const metadata = cipher.openMetadata(rest.subarray(wrappedKeyLength));
      return { key, handle, header, cipher, metadata };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async #unwrapDataKey(key: string, header: FixedHeader): Promise<KeyObject> {
    const provider = await this.#dataKeys();
    let plaintext: Buffer;
    try {
      plaintext = await provider.decryptDataKey(header.wrappedKey, objectKeyContext(key));
    } catch (error) {
      if (error instanceof KeyProviderError && ALTERED_WRAPPED_KEY_REASONS.has(error.reason)) {
        throw integrityError(key, 'its wrapped data key does not decrypt', error);
      }
      throw error;
    }
    try {
      if (plaintext.length !== DATA_KEY_BYTES) {
        throw integrityError(key, `its data key is ${plaintext.length} bytes`);
      }
      return createSecretKey(plaintext);
    } finally {
      plaintext.fill(0);
    }
  }

  async #read(key: string, handle: FileHandle, position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    const bytesRead = await this.#fileSystem(key, 'read the object file', () =>
      readFully(handle, buffer, position),
    );
    return buffer.subarray(0, bytesRead);
  }

  async #fileSystem<T>(key: string, action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.#unavailable(key, action, error);
    }
  }

  #unavailable(key: string, action: string, error: unknown): ObjectStorageError {
    return new ObjectStorageError(
      'StorageUnavailable',
      key,
      `Could not ${action} for object "${key}" in ${this.directory} (${errorCode(error)}); ` +
        'check free space and permissions of the data directory.',
      { cause: error },
    );
  }
}

/**
 * Return the version of a local object. Objects are never replaced, and
 * the SHA-256 in their authenticated metadata identifies the content, so
 * it serves as the ETag, and there is no version id.
 */
function localVersion(sha256: string): ObjectVersion {
  return { versionId: null, etag: sha256 };
}

/** Check whether `version` names the local object with this SHA-256. */
function isVersionOf(version: ObjectVersion, sha256: string): boolean {
  return version.versionId === null && sameEtag(version.etag.toLowerCase(), sha256);
}

/** Return the data key context of an object, which binds its wrapped key to the object key. */
export function objectKeyContext(key: string): string {
  return `object:${key}`;
}

interface OpenedObject {
  key: string;
  handle: FileHandle;
  header: FixedHeader;
  cipher: ObjectCipher;
  metadata: ObjectMetadata;
}

/**
 * Reads and authenticates the chunks of an opened object in order. The
 * SHA-256 of the whole plaintext is checked before the last chunk is
 * returned, so every byte a caller receives is authenticated.
 */
class ChunkReader {
  readonly #object: OpenedObject;
  readonly #count: number;
  readonly #digest = createHash('sha256');
  #index = 0;
  #position: number;
  #closed = false;
  /** Sealed bytes read ahead from the file, starting at #windowStart. */
  #window = Buffer.alloc(0);
  #windowStart = 0;

  constructor(object: OpenedObject) {
    this.#object = object;
    this.#count = chunkCount(object.metadata.size, object.header.chunkSize);
    this.#position = object.header.bytes.length + SEALED_METADATA_BYTES;
  }

  /** Reject a file whose length does not match its authenticated size, before any chunk is read. */
  async checkFileLength(): Promise<void> {
    const { handle, header, metadata, key } = this.#object;
    const expected = objectFileBytes(header.bytes.length, metadata.size, header.chunkSize);
    let actual: number;
    try {
      actual = (await handle.stat()).size;
    } catch (error) {
      throw new ObjectStorageError(
        'StorageUnavailable',
        key,
        `Could not read the size of the file of object "${key}" (${errorCode(error)}); check the data directory.`,
        { cause: error },
      );
    }
    if (actual !== expected) {
      throw integrityError(
        key,
        `the file is ${actual} bytes, but an object of ${metadata.size} bytes takes ${expected}`,
      );
    }
  }

  /** Return the next non-empty plaintext chunk, or null after the last one. */
  async next(): Promise<Buffer | null> {
    while (this.#index < this.#count) {
      const plaintext = await this.#nextChunk();
      if (plaintext.length > 0) return plaintext;
    }
    return null;
  }

  async #nextChunk(): Promise<Buffer> {
    const { handle, header, metadata, cipher, key } = this.#object;
    const index = this.#index;
    const final = index === this.#count - 1;
    const plaintextLength = final ? metadata.size - index * header.chunkSize : header.chunkSize;

    const sealed = await this.#sealedBytes(plaintextLength + TAG_BYTES);
    if (sealed === null) {
      throw integrityError(key, `the file ends inside chunk ${index}`);
    }
    const plaintext = cipher.openChunk(index, final, sealed);
    this.#digest.update(plaintext);
    this.#index += 1;
    this.#position += sealed.length;

    if (final) {
      // Checked again here because the file may have changed since open.
      const probe = Buffer.alloc(1);
      if ((await readOrFail(key, handle, probe, this.#position)) !== 0) {
        plaintext.fill(0);
        throw integrityError(key, 'bytes follow the final chunk');
      }
      if (this.#digest.digest('hex') !== metadata.sha256) {
        plaintext.fill(0);
        throw integrityError(key, 'the SHA-256 of the content differs from its metadata');
      }
    }
    return plaintext;
  }

  /**
   * Return the `length` sealed bytes at #position, or null when the file
   * ends before them. Reads up to READ_AHEAD_BYTES at a time, because one
   * read per 64 KiB chunk spent more time in round trips to the thread pool
   * than in decryption. Reading a 70 MB object went from about 350 MB/s to
   * 500 MB/s on a 2-core development machine.
   */
  async #sealedBytes(length: number): Promise<Buffer | null> {
    const offset = this.#position - this.#windowStart;
    if (offset + length <= this.#window.length) {
      return this.#window.subarray(offset, offset + length);
    }

    const { handle, header, metadata, key } = this.#object;
    const fileEnd = objectFileBytes(header.bytes.length, metadata.size, header.chunkSize);
    const windowLength = Math.max(length, Math.min(READ_AHEAD_BYTES, fileEnd - this.#position));
    const window = Buffer.allocUnsafe(windowLength);
    const bytesRead = await readOrFail(key, handle, window, this.#position);
    this.#window = window.subarray(0, bytesRead);
    this.#windowStart = this.#position;
    return bytesRead < length ? null : this.#window.subarray(0, length);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#window = Buffer.alloc(0);
    await this.#object.handle.close();
  }
}

async function readOrFail(
  key: string,
  handle: FileHandle,
  buffer: Buffer,
  position: number,
): Promise<number> {
  try {
    return await readFully(handle, buffer, position);
  } catch (error) {
    throw new ObjectStorageError(
      'StorageUnavailable',
      key,
      `Could not read the file of object "${key}" (${errorCode(error)}); check the data directory.`,
      { cause: error },
    );
  }
}

/**
 * Build the pipeline stage that cuts the plaintext into chunks and seals
 * them. It holds back each full chunk until more bytes arrive, because only
 * the end of the body shows which chunk is final.
 */
function sealChunks(
  cipher: ObjectCipher,
  chunkSize: number,
  onPlaintext: (plaintext: Buffer) => void,
): (source: AsyncIterable<unknown>) => AsyncGenerator<Buffer> {
  const limit = maxObjectBytes(chunkSize);
  return async function* (source) {
    const pending = Buffer.alloc(chunkSize);
    let filled = 0;
    let index = 0;
    let total = 0;
    try {
      for await (const piece of source) {
        const bytes = asBuffer(piece);
        total += bytes.length;
        if (total > limit) {
          throw new RangeError(`The body exceeds the maximum object size of ${limit} bytes.`);
        }
        onPlaintext(bytes);

        let offset = 0;
        while (offset < bytes.length) {
          if (filled === chunkSize) {
            yield cipher.sealChunk(index, false, pending);
            index += 1;
            filled = 0;
          }
          const copied = bytes.copy(pending, filled, offset);
          filled += copied;
          offset += copied;
        }
      }
      yield cipher.sealChunk(index, true, pending.subarray(0, filled));
    } finally {
      pending.fill(0);
    }
  };
}

function asBuffer(piece: unknown): Buffer {
  if (Buffer.isBuffer(piece)) return piece;
  if (piece instanceof Uint8Array)
    return Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
  throw new TypeError(
    `An object body must yield bytes, not ${typeof piece}; do not call setEncoding on the stream.`,
  );
}

/** Write all of `buffer` at `position`, repeating short writes. */
async function writeFully(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < buffer.length) {
    const result = await handle.write(buffer, written, buffer.length - written, position + written);
    written += result.bytesWritten;
  }
}

/** Read into `buffer` from `position` until it is full or the file ends; return the bytes read. */
async function readFully(handle: FileHandle, buffer: Buffer, position: number): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(
      buffer,
      filled,
      buffer.length - filled,
      position + filled,
    );
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

function objectExists(key: string): ObjectStorageError {
  return new ObjectStorageError(
    'ObjectExists',
    key,
    `An object is already stored under the key "${key}", and objects are never replaced; ` +
      'delete it first or choose another key.',
  );
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  if (error instanceof Error) return error.message;
  return String(error);
}
