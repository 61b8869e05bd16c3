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
   * ObjectNotFound when there is none, with ChecksumMismatch when
   * `options.sha256` is given and the object's content has another
   * SHA-256, and with VersionMismatch when `options.version` is given and
   * the key now names other bytes. Each rejection comes before the stream
   * exists, so no byte of a wrong object is emitted. The stream fails with
   * IntegrityError as soon as stored data fails authentication and never
   * emits bytes that were not authenticated.
   */
  get(key: string, options?: GetObjectOptions): Promise<Readable>;

  /**
   * Read an object's metadata, including the version to pin later reads
   * to, without reading its content; null when there is no object.
   */
  head(key: string): Promise<ObjectInfo | null>;

  /** Delete an object. Deleting a key that has no object succeeds. */
  delete(key: string): Promise<void>;

  /**
   * Create a URL that lets its holder GET or PUT one object until it
   * expires, without other credentials. `headers` lists the request headers
   * the client must send with it. Whatever serves a PUT URL must store
   * through the rules of `put`: it never overwrites an existing object, and
   * it rejects a body whose digest differs from a signed `sha256`. Whatever
   * serves a GET URL with a `version` must send that version's bytes or
   * fail before the body, as `get` does.
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
  /**
   * The version, as `head` returned it, that the read must return. Other
   * bytes under the key make `get` reject with VersionMismatch.
   */
  version?: ObjectVersion;
}

/**
 * Identity of the stored bytes that a key named when they were read: S3's
 * VersionId when the bucket keeps versions, and the ETag. The local
 * adapter never replaces an object and has no version ids, so its
 * `versionId` is null and its `etag` is the authenticated SHA-256 of the
 * content in hex.
 */
export interface ObjectVersion {
  versionId: string | null;
  /** The entity tag as the storage returns it; S3 includes the double quotes. */
  etag: string;
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
  /** The stored version, to pass to `get` or a GET `signedUrl` so that they serve these bytes only. */
  version: ObjectVersion;
}

/**
 * Method, lifetime and constraints of a signed URL. Constraints that do
 * not apply to the method are rejected: `contentLength` and `sha256` only
 * restrict a PUT, and `fileName`, `disposition` and `version` only shape
 * the response to a GET.
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
  /** For a GET, the file name offered in Content-Disposition; the last segment of the key by default. */
  fileName?: string;
  /**
   * For a GET, whether the browser saves the response (attachment, the
   * default) or may display it (inline).
   */
  disposition?: ContentDisposition;
  /**
   * For a GET, the version the response must contain. When the key names
   * other bytes, the request fails without a body. S3 responds with 404
   * for an unknown VersionId or 412 for an ETag that no longer matches,
   * and the local route responds with 412.
   */
  version?: ObjectVersion;
}

export type ContentDisposition = 'attachment' | 'inline';

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
  | 'IntegrityError'
  | 'VersionMismatch';

/**
 * A storage operation failed. `code` is stable and safe to branch on.
 * StorageUnavailable means the storage itself failed (for example a full
 * disk or a permission error) and carries the original error as `cause`.
 * IntegrityError means stored data was altered or damaged.
 * VersionMismatch means the key names other bytes than the version that a
 * read requested. Messages name the key and never contain object content
 * or key material.
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
  const { disposition, version } = options;
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
    // Control characters and path separators have no place in a download
    // name, and a lone surrogate cannot be encoded as UTF-8 for filename*.
    const invalid =
      typeof fileName !== 'string' ||
      fileName.length === 0 ||
      fileName.length > MAX_FILE_NAME_LENGTH ||
      !fileName.isWellFormed() ||
      /[\p{Cc}/\\]/u.test(fileName);
    if (invalid) {
      throw new TypeError(
        `The file name ${JSON.stringify(fileName)} is invalid: use 1 to ${MAX_FILE_NAME_LENGTH} ` +
          'characters without control characters, / or \\.',
      );
    }
    normalized.fileName = fileName;
  }
  if (disposition !== undefined) {
    if (method !== 'GET') {
      throw new TypeError('disposition shapes only the response to a GET URL.');
    }
    if (disposition !== 'attachment' && disposition !== 'inline') {
      throw new TypeError(
        `disposition must be "attachment" or "inline", not ${JSON.stringify(disposition)}.`,
      );
    }
    normalized.disposition = disposition;
  }
  if (version !== undefined) {
    if (method !== 'GET') {
      throw new TypeError('version pins only the object a GET URL reads.');
    }
    normalized.version = validateObjectVersion(version);
  }
  return normalized;
}

/** Maximum length of a version id or ETag, in characters. S3's are far shorter. */
export const MAX_VERSION_FIELD_LENGTH = 1024;

// Printable ASCII without the space, so that a value can travel in an HTTP
// header and a query parameter unchanged.
const VERSION_FIELD_PATTERN = /^[\x21-\x7e]+$/;

/**
 * Check an ObjectVersion and return a copy of it. Throws a TypeError for an
 * empty ETag or a field that is not printable ASCII of at most
 * MAX_VERSION_FIELD_LENGTH characters, because both fields travel in HTTP
 * headers and URLs.
 */
export function validateObjectVersion(version: ObjectVersion): ObjectVersion {
  const valid = (value: unknown) =>
    typeof value === 'string' &&
    value.length <= MAX_VERSION_FIELD_LENGTH &&
    VERSION_FIELD_PATTERN.test(value);
  if (typeof version !== 'object' || version === null) {
    throw new TypeError('version must be an object with versionId and etag.');
  }
  if (!valid(version.etag)) {
    throw new TypeError(
      `version.etag ${JSON.stringify(version.etag)} is invalid: use the ETag that head returned.`,
    );
  }
  if (version.versionId !== null && !valid(version.versionId)) {
    throw new TypeError(
      `version.versionId ${JSON.stringify(version.versionId)} is invalid: use the version id that head returned, or null.`,
    );
  }
  return { versionId: version.versionId, etag: version.etag };
}

/** Describe a version for an error message, such as `version id 3HL4kqtJ (ETag "9b2c…")`. */
export function describeVersion(version: ObjectVersion): string {
  return version.versionId === null
    ? `ETag ${version.etag}`
    : `version id ${version.versionId} (ETag ${version.etag})`;
}

/**
 * Compare two ETags without their surrounding double quotes, so `"abc"`
 * and `abc` are equal. S3 quotes the ETags it returns, but a caller may
 * have stored the bare value.
 */
export function sameEtag(left: string, right: string): boolean {
  return unquoteEtag(left) === unquoteEtag(right);
}

function unquoteEtag(etag: string): string {
  return etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
}
