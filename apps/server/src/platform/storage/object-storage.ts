import type { Readable } from 'node:stream';

/**
 * Storage for large binary objects such as uploaded datasets, their
 * normalized Parquet copies and evidence files. The local adapter keeps
 * encrypted files in the data directory, and an S3 adapter is meant to
 * implement the same contract.
 *
 * Keys are opaque strings that callers choose. Every method validates its
 * key with assertObjectKey and rejects an invalid one with InvalidKey.
 * Objects are immutable: `put` never replaces an existing object, so a key
 * names the same bytes from creation until `delete`.
 */
export interface ObjectStorage {
  /** The adapter, such as 'local'; lets callers reach adapter-only methods. */
  readonly kind: string;

  /**
   * Store `body` under `key` and return its plaintext size and SHA-256.
   * The object appears only once the whole body is stored, so a failed or
   * interrupted put leaves no object behind. Rejects with ObjectExists when
   * the key is taken, even by a put that finishes first while this one
   * runs, and with ChecksumMismatch, storing nothing, when `options.sha256`
   * differs from the body's digest. Errors of the body stream reject put
   * unchanged. A body that put has started to read is consumed or
   * destroyed, but one rejected before that (such as for an invalid key or
   * an existing object) is left untouched for the caller to drain or destroy.
   */
  put(key: string, body: Readable | Buffer, options?: PutObjectOptions): Promise<StoredObject>;

  /**
   * Open the plaintext of an object as a byte stream. Rejects with
   * ObjectNotFound when there is none, and with ChecksumMismatch when
   * `options.sha256` is given and the object's content has another
   * SHA-256. The stream fails with IntegrityError as soon as stored data
   * fails authentication and never emits bytes that were not authenticated.
   */
  get(key: string, options?: GetObjectOptions): Promise<Readable>;

  /** Read an object's metadata without reading its content; null when there is no object. */
  head(key: string): Promise<ObjectInfo | null>;

  /** Delete an object. Deleting a key that has no object succeeds. */
  delete(key: string): Promise<void>;

  /**
   * Create a URL that lets its holder GET or PUT one object until it
   * expires, without other credentials. `headers` lists the request headers
   * the client must send with it. Whatever serves a PUT URL must store
   * through the rules of `put`: it never overwrites an existing object, and
   * it rejects a body whose digest differs from a signed `sha256`.
   */
  signedUrl(key: string, options: SignedUrlOptions): Promise<SignedUrl>;
}

export interface PutObjectOptions {
  /** Media type returned by `head` and signed GET URLs; default application/octet-stream. */
  contentType?: string;
  /** Expected SHA-256 of the body as 64 hexadecimal digits. */
  sha256?: string;
}

export interface GetObjectOptions {
  /**
   * SHA-256 the content must have, as 64 hexadecimal digits. An adapter
   * that keeps an authenticated digest compares it before opening the
   * stream. An adapter without one must hash the content and fail the
   * stream before its last byte.
   */
  sha256?: string;
}

/** The result of a successful put. */
export interface StoredObject {
  key: string;
  /** Plaintext size in bytes. */
  size: number;
  /** SHA-256 of the plaintext as 64 lowercase hexadecimal digits. */
  sha256: string;
}

/** Metadata that `head` returns. */
export interface ObjectInfo {
  /** Plaintext size in bytes. */
  size: number;
  /** SHA-256 of the plaintext as 64 lowercase hexadecimal digits. */
  sha256: string;
  contentType: string;
  createdAt: Date;
}

/**
 * Method, lifetime and constraints of a signed URL. Constraints that do not apply to the method
 * are rejected: `contentLength` and `sha256` only restrict a PUT, and
 * `fileName` only names the download of a GET.
 */
export interface SignedUrlOptions {
  method: 'GET' | 'PUT';
  /** Lifetime in whole seconds, from 1 to MAX_SIGNED_URL_SECONDS. */
  expiresInSeconds: number;
  /** For a PUT, the Content-Type the upload must send. For a GET, the Content-Type of the response. */
  contentType?: string;
  /** For a PUT, the exact body size in bytes. */
  contentLength?: number;
  /**
   * For a PUT, the SHA-256 the body must have, as 64 hexadecimal digits.
   * NOTE: the S3 user guide states that presigned URLs do not support
   * SHA-256 upload checksums, so an S3 adapter must check it after upload.
   */
  sha256?: string;
  /** For a GET, the file name offered in Content-Disposition. */
  fileName?: string;
}

export interface SignedUrl {
  /** Absolute URL that carries the signature. */
  url: string;
  expiresAt: Date;
  /** Headers, with lowercase names, that the request must send unchanged. */
  headers: Record<string, string>;
}

/**
 * Maximum lifetime of a signed URL: 604800 seconds (7 days), the maximum
 * that `aws s3 presign --expires-in` accepts, so an S3 adapter can honor
 * every lifetime that the local adapter does.
 */
export const MAX_SIGNED_URL_SECONDS = 604_800;

/** Content type stored when a put names none. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export type ObjectStorageErrorCode =
  | 'ObjectNotFound'
  | 'ObjectExists'
  | 'ChecksumMismatch'
  | 'InvalidKey'
  | 'StorageUnavailable'
  | 'IntegrityError';

/**
 * A storage operation failed. `code` is stable and safe to branch on.
 * StorageUnavailable means the storage itself failed (for example a full
 * disk or a permission error) and carries the original error as `cause`.
 * IntegrityError means stored data was altered or damaged. Messages name
 * the key and never contain object content or key material.
 */
export class ObjectStorageError extends Error {
  readonly code: ObjectStorageErrorCode;
  /** The key the operation named; for InvalidKey, the rejected value, shortened. */
  readonly key: string;

  constructor(
    code: ObjectStorageErrorCode,
    key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ObjectStorageError';
    this.code = code;
    this.key = key;
  }
}

/** Maximum length of an object key in characters. */
export const MAX_OBJECT_KEY_LENGTH = 250;

// Segments of lowercase letters, digits, '_' and '-', each starting with a
// letter or digit, joined by single slashes. Because '.' is excluded, a key
// can never contain '..', and it never starts or ends with '/'.
const OBJECT_KEY_PATTERN = /^[a-z0-9][a-z0-9_-]*(?:\/[a-z0-9][a-z0-9_-]*)*$/;

/**
 * Reject a key that is not a string of at most 250 characters made of
 * slash-separated segments of [a-z0-9_-], each starting with a letter or
 * digit. Such keys map to a file path inside the storage directory and to
 * an S3 key without any escaping.
 */
export function assertObjectKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') {
    throw new ObjectStorageError('InvalidKey', String(key), 'The object key must be a string.');
  }
  const valid = key.length <= MAX_OBJECT_KEY_LENGTH && OBJECT_KEY_PATTERN.test(key);
  if (!valid) {
    const displayedKey = key.length > 80 ? `${key.slice(0, 80)}…` : key;
    throw new ObjectStorageError(
      'InvalidKey',
      displayedKey,
      `The object key ${JSON.stringify(displayedKey)} (${key.length} characters) is invalid: a key is ` +
        `1 to ${MAX_OBJECT_KEY_LENGTH} characters of segments made of a-z, 0-9, '_' and '-', ` +
        "each starting with a letter or digit and joined by single '/', such as datasets/42/raw.",
    );
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** Return `value` as lowercase hex after checking that it is a SHA-256 digest in hex. */
export function normalizeSha256(value: string, name = 'sha256'): string {
  if (typeof value !== 'string' || !SHA256_HEX.test(value)) {
    throw new TypeError(`${name} must be a SHA-256 digest as 64 hexadecimal digits.`);
  }
  return value.toLowerCase();
}

/** Maximum length of a content type in bytes, because it is stored in a fixed-size field. */
export const MAX_CONTENT_TYPE_LENGTH = 255;

// RFC 9110 media type: token "/" token, then optional parameters in
// printable ASCII.
const CONTENT_TYPE_PATTERN =
  /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+(?:;[\x20-\x7e]*)?$/i;

/** Reject a content type that is not a printable-ASCII media type of at most 255 characters. */
export function assertContentType(value: string): void {
  if (
    typeof value !== 'string' ||
    value.length > MAX_CONTENT_TYPE_LENGTH ||
    !CONTENT_TYPE_PATTERN.test(value)
  ) {
    throw new TypeError(
      `The content type ${JSON.stringify(value)} is invalid: use a media type such as ` +
        `text/csv or application/vnd.apache.parquet, at most ${MAX_CONTENT_TYPE_LENGTH} characters.`,
    );
  }
}

/** Maximum length of a file name for a signed GET URL, in characters. */
export const MAX_FILE_NAME_LENGTH = 255;

/**
 * Check signed URL options and return them normalized, with `sha256` in
 * lowercase. Throws a TypeError for an option the method does not accept
 * or a value out of range.
 */
export function validateSignedUrlOptions(options: SignedUrlOptions): SignedUrlOptions {
  const { method, expiresInSeconds, contentType, contentLength, sha256, fileName } = options;
  if (method !== 'GET' && method !== 'PUT') {
    throw new TypeError(`A signed URL method must be GET or PUT, not ${JSON.stringify(method)}.`);
  }
  if (
    !Number.isSafeInteger(expiresInSeconds) ||
    expiresInSeconds < 1 ||
    expiresInSeconds > MAX_SIGNED_URL_SECONDS
  ) {
    throw new TypeError(
      `expiresInSeconds must be a whole number from 1 to ${MAX_SIGNED_URL_SECONDS}, not ${expiresInSeconds}.`,
    );
  }

  const normalized: SignedUrlOptions = { method, expiresInSeconds };
  if (contentType !== undefined) {
    assertContentType(contentType);
    normalized.contentType = contentType;
  }
  if (contentLength !== undefined) {
    if (method !== 'PUT') {
      throw new TypeError('contentLength restricts only a PUT URL.');
    }
    if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
      throw new TypeError(
        `contentLength must be a whole number of bytes from 0, not ${contentLength}.`,
      );
    }
    normalized.contentLength = contentLength;
  }
  if (sha256 !== undefined) {
    if (method !== 'PUT') {
      throw new TypeError('sha256 restricts only a PUT URL.');
    }
    normalized.sha256 = normalizeSha256(sha256);
  }
  if (fileName !== undefined) {
    if (method !== 'GET') {
      throw new TypeError('fileName names only the download of a GET URL.');
    }
    // Control characters and path separators have no place in a download name.
    const invalid =
      typeof fileName !== 'string' ||
      fileName.length === 0 ||
      fileName.length > MAX_FILE_NAME_LENGTH ||
      /[\p{Cc}/\\]/u.test(fileName);
    if (invalid) {
      throw new TypeError(
        `The file name ${JSON.stringify(fileName)} is invalid: use 1 to ${MAX_FILE_NAME_LENGTH} ` +
          'characters without control characters, / or \\.',
      );
    }
    normalized.fileName = fileName;
  }
  return normalized;
}
