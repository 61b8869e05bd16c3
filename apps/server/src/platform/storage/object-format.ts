import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { ObjectStorageError } from './object-storage.ts';

/**
 * Encrypted object file layout, integers unsigned big-endian, lengths in
 * bytes:
 *
 *   magic               8   OBJECT_MAGIC
 *   version             1   OBJECT_FORMAT_VERSION
 *   chunk size          4   plaintext bytes per chunk
 *   base nonce         12   random per object
 *   wrapped key length  2
 *   wrapped key         n   data key wrapped by the DataKeyProvider for context object:<key>
 *   sealed metadata   320   AES-256-GCM ciphertext of 304 bytes, then a 16-byte tag:
 *                             plaintext size 8, plaintext SHA-256 32,
 *                             created at 8 (milliseconds since the Unix epoch),
 *                             content type length 1, content type 255 (ASCII, zero-padded)
 *   chunks                  ceil(size / chunk size) chunks, and one chunk for an empty object:
 *                             AES-256-GCM ciphertext of chunk size bytes (the last chunk
 *                             1 to chunk size, or 0 for an empty object), then a 16-byte tag
 *
 * Everything up to the wrapped key is the fixed header. Every seal uses the
 * per-object data key, a nonce made by XOR-ing a 64-bit index into the last
 * 8 bytes of the base nonce, and additional data (AAD) of:
 *
 *   block type 1 (1 metadata, 2 chunk) | index 8 | final flag 1 |
 *   key length 2 | object key (UTF-8) | fixed header
 *
 * Chunks use indexes 0, 1, 2, … and the last chunk alone sets the final
 * flag. The metadata uses index 2^64 - 1, which no chunk reaches, so no two
 * seals share a nonce. Binding the index rejects reordered or swapped
 * chunks. The final flag and the authenticated size reject truncation and
 * appended bytes. The data key and AAD reject chunks copied from another
 * object, and the fixed header in the AAD rejects any header change.
 * The metadata is encrypted too, so the file does not reveal the
 * plaintext's digest, which would confirm a guess of its content.
 */
export const OBJECT_MAGIC = Buffer.from('PXOBJ\r\n\x1a', 'latin1');
export const OBJECT_FORMAT_VERSION = 1;
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** Chunk sizes this code writes and reads; the bound also caps reader memory for a damaged header. */
export const MIN_CHUNK_BYTES = 1024;
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
export const TAG_BYTES = 16;
export const NONCE_BYTES = 12;

/** Length of the fixed header before the wrapped key. */
export const FIXED_HEADER_PREFIX_BYTES = OBJECT_MAGIC.length + 1 + 4 + NONCE_BYTES + 2;
const MAX_WRAPPED_KEY_BYTES = 0xffff;

const CONTENT_TYPE_FIELD_BYTES = 255;
const METADATA_PLAINTEXT_BYTES = 8 + 32 + 8 + 1 + CONTENT_TYPE_FIELD_BYTES;
export const SEALED_METADATA_BYTES = METADATA_PLAINTEXT_BYTES + TAG_BYTES;

/** Chunk indexes stay below 2^32, far from the metadata's index 2^64 - 1. */
const MAX_CHUNKS = 2 ** 32 - 1;
const METADATA_INDEX = 2n ** 64n - 1n;
const BLOCK_METADATA = 1;
const BLOCK_CHUNK = 2;

/** Decrypted object metadata. */
export interface ObjectMetadata {
  size: number;
  /** 64 lowercase hexadecimal digits. */
  sha256: string;
  contentType: string;
  createdAt: Date;
}

/** Fields of the fixed header. */
export interface FixedHeader {
  chunkSize: number;
  baseNonce: Buffer;
  wrappedKey: Buffer;
  /** The encoded header bytes, which every seal authenticates. */
  bytes: Buffer;
}

/** Largest plaintext that `chunkSize` chunks can hold. */
export function maxObjectBytes(chunkSize: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, chunkSize * MAX_CHUNKS);
}

export function assertChunkSize(chunkSize: number): void {
  if (
    !Number.isSafeInteger(chunkSize) ||
    chunkSize < MIN_CHUNK_BYTES ||
    chunkSize > MAX_CHUNK_BYTES
  ) {
    throw new RangeError(
      `The chunk size must be a whole number of bytes from ${MIN_CHUNK_BYTES} to ${MAX_CHUNK_BYTES}, not ${chunkSize}.`,
    );
  }
}

export function encodeFixedHeader(
  chunkSize: number,
  baseNonce: Buffer,
  wrappedKey: Buffer,
): Buffer {
  assertChunkSize(chunkSize);
  if (baseNonce.length !== NONCE_BYTES) {
    throw new RangeError(`The base nonce must be ${NONCE_BYTES} bytes, not ${baseNonce.length}.`);
  }
  if (wrappedKey.length === 0 || wrappedKey.length > MAX_WRAPPED_KEY_BYTES) {
    throw new RangeError(
      `The data key provider returned a ${wrappedKey.length}-byte wrapped key, but an object file stores wrapped keys of 1 to ${MAX_WRAPPED_KEY_BYTES} bytes.`,
    );
  }

  const header = Buffer.alloc(FIXED_HEADER_PREFIX_BYTES + wrappedKey.length);
  let offset = OBJECT_MAGIC.copy(header, 0);
  offset = header.writeUInt8(OBJECT_FORMAT_VERSION, offset);
  offset = header.writeUInt32BE(chunkSize, offset);
  offset += baseNonce.copy(header, offset);
  offset = header.writeUInt16BE(wrappedKey.length, offset);
  wrappedKey.copy(header, offset);
  return header;
}

/**
 * Parse the first FIXED_HEADER_PREFIX_BYTES of an object file and return
 * the wrapped key length, after checking the magic, version and chunk size.
 */
export function parseFixedHeaderPrefix(
  prefix: Buffer,
  key: string,
): { wrappedKeyLength: number; chunkSize: number } {
  if (prefix.length < FIXED_HEADER_PREFIX_BYTES) {
    throw integrityError(key, `the file is ${prefix.length} bytes, shorter than its header`);
  }
  if (!prefix.subarray(0, OBJECT_MAGIC.length).equals(OBJECT_MAGIC)) {
    throw integrityError(key, 'the file does not start with the object file signature');
  }
  const version = prefix.readUInt8(OBJECT_MAGIC.length);
  if (version !== OBJECT_FORMAT_VERSION) {
    throw integrityError(
      key,
      `the file has format version ${version}, but this server reads only version ${OBJECT_FORMAT_VERSION}`,
    );
  }
  const chunkSize = prefix.readUInt32BE(OBJECT_MAGIC.length + 1);
  if (chunkSize < MIN_CHUNK_BYTES || chunkSize > MAX_CHUNK_BYTES) {
    throw integrityError(key, `the header names a chunk size of ${chunkSize} bytes`);
  }
  const wrappedKeyLength = prefix.readUInt16BE(FIXED_HEADER_PREFIX_BYTES - 2);
  if (wrappedKeyLength === 0) {
    throw integrityError(key, 'the header names an empty wrapped key');
  }
  return { wrappedKeyLength, chunkSize };
}

/** Split a complete fixed header, as checked by parseFixedHeaderPrefix, into its fields. */
export function parseFixedHeader(bytes: Buffer): FixedHeader {
  const nonceStart = OBJECT_MAGIC.length + 1 + 4;
  return {
    chunkSize: bytes.readUInt32BE(OBJECT_MAGIC.length + 1),
    baseNonce: bytes.subarray(nonceStart, nonceStart + NONCE_BYTES),
    wrappedKey: bytes.subarray(FIXED_HEADER_PREFIX_BYTES),
    bytes,
  };
}

/** Number of chunks that store `size` plaintext bytes; an empty object has one empty chunk. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(size / chunkSize));
}

/** Length of the whole object file for a plaintext of `size` bytes. */
export function objectFileBytes(headerBytes: number, size: number, chunkSize: number): number {
  return headerBytes + SEALED_METADATA_BYTES + size + chunkCount(size, chunkSize) * TAG_BYTES;
}

export function integrityError(key: string, detail: string, cause?: unknown): ObjectStorageError {
  return new ObjectStorageError(
    'IntegrityError',
    key,
    `The stored object "${key}" failed its integrity check: ${detail}. ` +
      'It was altered or damaged on disk; restore it from backup or store it again.',
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Seals and opens the metadata and chunks of one object under its data
 * key. The caller keeps the instance for one object only.
 */
export class ObjectCipher {
  readonly #dataKey: KeyObject;
  readonly #baseNonce: Buffer;
  readonly #key: string;
  /** key length | object key | fixed header: the AAD after the per-block fields. */
  readonly #aadSuffix: Buffer;

  constructor(dataKey: KeyObject, header: FixedHeader, key: string) {
    this.#dataKey = dataKey;
    this.#baseNonce = header.baseNonce;
    this.#key = key;
    const keyBytes = Buffer.from(key, 'utf8');
    const keyLength = Buffer.alloc(2);
    keyLength.writeUInt16BE(keyBytes.length);
    this.#aadSuffix = Buffer.concat([keyLength, keyBytes, header.bytes]);
  }

  sealMetadata(metadata: ObjectMetadata): Buffer {
    const plaintext = Buffer.alloc(METADATA_PLAINTEXT_BYTES);
    let offset = plaintext.writeBigUInt64BE(BigInt(metadata.size), 0);
    offset += Buffer.from(metadata.sha256, 'hex').copy(plaintext, offset);
    offset = plaintext.writeBigUInt64BE(BigInt(metadata.createdAt.getTime()), offset);
    const contentType = Buffer.from(metadata.contentType, 'latin1');
    offset = plaintext.writeUInt8(contentType.length, offset);
    contentType.copy(plaintext, offset);
    return this.#seal(BLOCK_METADATA, METADATA_INDEX, false, plaintext);
  }

  /** Decrypt the sealed metadata; rejects with IntegrityError if it fails authentication. */
  openMetadata(sealed: Buffer): ObjectMetadata {
    if (sealed.length !== SEALED_METADATA_BYTES) {
      throw integrityError(this.#key, 'the file ends inside its metadata');
    }
    const plaintext = this.#open(BLOCK_METADATA, METADATA_INDEX, false, sealed, 'the metadata');

    const size = plaintext.readBigUInt64BE(0);
    const sha256 = plaintext.subarray(8, 40).toString('hex');
    const createdAt = new Date(Number(plaintext.readBigUInt64BE(40)));
    const contentTypeLength = plaintext.readUInt8(48);
    const contentType = plaintext.subarray(49, 49 + contentTypeLength).toString('latin1');
    // Authentication proves the writer made these values, so a bad one is a
    // bug in the writer, not tampering; reject it all the same.
    if (size > BigInt(Number.MAX_SAFE_INTEGER) || contentTypeLength > CONTENT_TYPE_FIELD_BYTES) {
      throw integrityError(this.#key, 'the metadata contains values out of range');
    }
    return { size: Number(size), sha256, contentType, createdAt };
  }

  sealChunk(index: number, final: boolean, plaintext: Buffer): Buffer {
    this.#assertChunkIndex(index);
    return this.#seal(BLOCK_CHUNK, BigInt(index), final, plaintext);
  }

  /**
   * Decrypt one chunk and return its plaintext only if it authenticates for
   * this position; otherwise reject with IntegrityError.
   */
  openChunk(index: number, final: boolean, sealed: Buffer): Buffer {
    this.#assertChunkIndex(index);
    if (sealed.length < TAG_BYTES) {
      throw integrityError(this.#key, `chunk ${index} is shorter than its tag`);
    }
    return this.#open(BLOCK_CHUNK, BigInt(index), final, sealed, `chunk ${index}`);
  }

  #assertChunkIndex(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= MAX_CHUNKS) {
      throw new RangeError(
        `Chunk index ${index} is out of range; an object has at most ${MAX_CHUNKS} chunks.`,
      );
    }
  }

  #nonce(index: bigint): Buffer {
    const nonce = Buffer.from(this.#baseNonce);
    const tail = nonce.readBigUInt64BE(NONCE_BYTES - 8);
    nonce.writeBigUInt64BE(tail ^ index, NONCE_BYTES - 8);
    return nonce;
  }

  #aad(blockType: number, index: bigint, final: boolean): Buffer {
    const fields = Buffer.alloc(10);
    fields.writeUInt8(blockType, 0);
    fields.writeBigUInt64BE(index, 1);
    fields.writeUInt8(final ? 1 : 0, 9);
    return Buffer.concat([fields, this.#aadSuffix]);
  }

  #seal(blockType: number, index: bigint, final: boolean, plaintext: Buffer): Buffer {
    const cipher = createCipheriv('aes-256-gcm', this.#dataKey, this.#nonce(index), {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(this.#aad(blockType, index, final));
    return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  }

  #open(blockType: number, index: bigint, final: boolean, sealed: Buffer, what: string): Buffer {
    const tagStart = sealed.length - TAG_BYTES;
    const decipher = createDecipheriv('aes-256-gcm', this.#dataKey, this.#nonce(index), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(this.#aad(blockType, index, final));
    decipher.setAuthTag(sealed.subarray(tagStart));

    // GCM returns plaintext from update before final checks the tag, so
    // that output is zeroed and never returned unless the tag matches.
    const unverified = decipher.update(sealed.subarray(0, tagStart));
    try {
      decipher.final();
    } catch (error) {
      unverified.fill(0);
      throw integrityError(this.#key, `${what} failed authentication`, error);
    }
    return unverified;
  }
}
