import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { contentDispositionHeader, defaultFileName } from './content-disposition.ts';
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

export interface S3ObjectStorageOptions {
  client: S3Client;
  bucket: string;
  /** KMS key that encrypts every object (SSE-KMS); its id or ARN. */
  kmsKeyId: string;
  /** Directory for spooling a body whose size is not known yet; the system's by default. */
  spoolDirectory?: string;
  now?: () => Date;
}

/** Return an S3 error's name and HTTP status, as the SDK reports them. */
function s3Failure(error: unknown): { name: string; status: number | undefined } {
  const candidate = error as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  return {
    name: typeof candidate.name === 'string' ? candidate.name : 'Error',
    status: candidate.$metadata?.httpStatusCode,
  };
}

function unavailable(key: string, action: string, error: unknown): ObjectStorageError {
  const { name, status } = s3Failure(error);
  return new ObjectStorageError(
    'StorageUnavailable',
    key,
    `S3 failed to ${action} object "${key}" (${name}${status === undefined ? '' : `, HTTP ${status}`}); check the bucket, its policy and the network.`,
    { cause: error },
  );
}

function isNotFound(error: unknown): boolean {
  const { name, status } = s3Failure(error);
  return name === 'NoSuchKey' || name === 'NotFound' || status === 404;
}

/**
 * Check whether a GetObject response names the expected version. S3
 * itself responds with 412 or NoSuchVersion for another version, but
 * S3-compatible servers such as s3rver 3.7 ignore If-Match and
 * versionId, so the ETag and the version id it returns are compared too.
 * A response without them cannot prove its version and fails the check.
 */
function responseHasVersion(
  response: { ETag?: string | undefined; VersionId?: string | undefined },
  expected: ObjectVersion,
): boolean {
  if (response.ETag === undefined || !sameEtag(response.ETag, expected.etag)) return false;
  return expected.versionId === null || response.VersionId === expected.versionId;
}

function versionMismatch(
  key: string,
  expected: ObjectVersion,
  cause?: unknown,
): ObjectStorageError {
  return new ObjectStorageError(
    'VersionMismatch',
    key,
    `Object "${key}" in S3 is no longer ${describeVersion(expected)}, so it was replaced or ` +
      'deleted since that version was read.',
    cause === undefined ? undefined : { cause },
  );
}

const base64ToHex = (value: string) => Buffer.from(value, 'base64').toString('hex');

/**
 * Return the SHA-256 an object was stored with: S3's own checksum, or else
 * the `sha256` metadata written beside it, for S3-compatible servers that
 * keep no checksums.
 */
function storedSha256(response: {
  ChecksumSHA256?: string | undefined;
  Metadata?: Record<string, string> | undefined;
}): string | undefined {
  if (response.ChecksumSHA256 !== undefined) return base64ToHex(response.ChecksumSHA256);
  const fromMetadata = response.Metadata?.sha256;
  return fromMetadata !== undefined && /^[0-9a-f]{64}$/.test(fromMetadata)
    ? fromMetadata
    : undefined;
}
const hexToBase64 = (value: string) => Buffer.from(value, 'hex').toString('base64');

/**
 * Pass bytes through and fail before the last one when their SHA-256
 * differs from `expected`: the stream holds back its latest chunk until
 * the next arrives, and the final one until the digest matches.
 */
function verifyingStream(key: string, expected: string): Transform {
  const digest = createHash('sha256');
  let heldBack: Buffer | undefined;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      digest.update(chunk);
      const previous = heldBack;
      heldBack = chunk;
      callback(null, previous);
    },
    flush(callback) {
      const actual = digest.digest('hex');
      if (actual !== expected) {
        callback(
          new ObjectStorageError(
            'IntegrityError',
            key,
            `Object "${key}" has SHA-256 ${actual} in S3, not the expected ${expected}; it was altered or replaced.`,
          ),
        );
        return;
      }
      callback(null, heldBack);
    },
  });
}

/**
 * Return the GetObject parameters that select `version`: its VersionId
 * when the bucket keeps versions, or else If-Match with its ETag.
 */
function versionSelector(version: ObjectVersion | undefined): {
  VersionId?: string;
  IfMatch?: string;
} {
  if (version === undefined) return {};
  return version.versionId === null ? { IfMatch: version.etag } : { VersionId: version.versionId };
}

/**
 * The S3 adapter: objects in one bucket, encrypted by S3 under the
 * customer's KMS key (SSE-KMS), each with its SHA-256 stored as an S3
 * checksum. Keys are the platform's own, so nothing a user typed ever
 * becomes part of one.
 */
export class S3ObjectStorage implements ObjectStorage {
  readonly kind = 's3';
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #kmsKeyId: string;
  readonly #spoolDirectory: string;

  constructor(options: S3ObjectStorageOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#kmsKeyId = options.kmsKeyId;
    this.#spoolDirectory = options.spoolDirectory ?? tmpdir();
  }

  /** The headers that put every object under the customer's key. */
  #encryption() {
    return { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: this.#kmsKeyId };
  }

  async put(
    key: string,
    body: Readable | Buffer,
    options: PutObjectOptions = {},
  ): Promise<StoredObject> {
    assertObjectKey(key);
    const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    assertContentType(contentType);
    const expected =
      options.sha256 === undefined ? undefined : normalizeSha256(options.sha256, 'options.sha256');

    // If-None-Match below is what prevents a replacement on S3; this check
    // also covers S3-compatible servers that ignore it, such as s3rver.
    if (await this.#exists(key)) {
      throw new ObjectStorageError(
        'ObjectExists',
        key,
        `An object is already stored under the key "${key}".`,
      );
    }

    // S3 needs the length up front and checks the SHA-256 it is given, so
    // a stream is spooled to a private file once to learn both.
    const spool = await mkdtemp(path.join(this.#spoolDirectory, 'peytonix-s3-put-'));
    try {
      const file = path.join(spool, 'body');
      const digest = createHash('sha256');
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      source.on('data', (chunk: Buffer) => digest.update(chunk));
      await pipeline(source, createWriteStream(file, { mode: 0o600 }));
      const sha256 = digest.digest('hex');
      const size = (await stat(file)).size;
      if (expected !== undefined && sha256 !== expected) {
        throw new ObjectStorageError(
          'ChecksumMismatch',
          key,
          `The body for object "${key}" has SHA-256 ${sha256}, but the request expected ${expected}; nothing was stored. Upload the file again.`,
        );
      }

      try {
        await this.#client.send(
          new PutObjectCommand({
            Bucket: this.#bucket,
            Key: key,
            Body: createReadStream(file),
            ContentLength: size,
            ContentType: contentType,
            ChecksumSHA256: hexToBase64(sha256),
            Metadata: { sha256 },
            // S3 refuses the write with 412 when the key exists, so nothing is replaced.
            IfNoneMatch: '*',
            ...this.#encryption(),
          }),
        );
      } catch (error) {
        const { name, status } = s3Failure(error);
        if (status === 412 || name === 'PreconditionFailed') {
          throw new ObjectStorageError(
            'ObjectExists',
            key,
            `An object is already stored under the key "${key}".`,
          );
        }
        if (name === 'BadDigest' || name === 'InvalidDigest') {
          throw new ObjectStorageError(
            'ChecksumMismatch',
            key,
            `S3 rejected the body of "${key}" because its checksum differs.`,
            { cause: error },
          );
        }
        throw unavailable(key, 'store', error);
      }
      return { key, size, sha256 };
    } finally {
      await rm(spool, { recursive: true, force: true });
    }
  }

  async #exists(key: string): Promise<boolean> {
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw unavailable(key, 'check for', error);
    }
  }

  async get(key: string, options: GetObjectOptions = {}): Promise<Readable> {
    assertObjectKey(key);
    const expected =
      options.sha256 === undefined ? undefined : normalizeSha256(options.sha256, 'options.sha256');
    const version =
      options.version === undefined ? undefined : validateObjectVersion(options.version);

    let response: GetObjectCommandOutput;
    try {
      response = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          ChecksumMode: 'ENABLED',
          ...versionSelector(version),
        }),
      );
    } catch (error) {
      const { name, status } = s3Failure(error);
      if (
        version !== undefined &&
        (status === 412 || name === 'PreconditionFailed' || name === 'NoSuchVersion')
      ) {
        throw versionMismatch(key, version, error);
      }
      if (isNotFound(error)) {
        throw new ObjectStorageError(
          'ObjectNotFound',
          key,
          `No object is stored under the key "${key}".`,
        );
      }
      throw unavailable(key, 'read', error);
    }

    const body = response.Body;
    if (!(body instanceof Readable)) {
      throw unavailable(key, 'read', new Error('the response has no body stream'));
    }
    if (version !== undefined && !responseHasVersion(response, version)) {
      body.destroy();
      throw versionMismatch(key, version);
    }
    const stored = storedSha256(response);
    if (expected !== undefined && stored !== undefined && stored !== expected) {
      body.destroy();
      throw new ObjectStorageError(
        'ChecksumMismatch',
        key,
        `Object "${key}" has SHA-256 ${stored}, not the expected ${expected}.`,
      );
    }
    // Hash what arrives against what the caller expects, or else the stored checksum.
    const reference = expected ?? stored;
    if (reference === undefined) return body;
    const verified = verifyingStream(key, reference);
    body.on('error', (error) => verified.destroy(error));
    return body.pipe(verified);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertObjectKey(key);
    try {
      const response = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: key, ChecksumMode: 'ENABLED' }),
      );
      const sha256 = storedSha256(response);
      if (sha256 === undefined) {
        throw new ObjectStorageError(
          'IntegrityError',
          key,
          `Object "${key}" has no SHA-256 in S3, so it was not stored by this platform.`,
        );
      }
      if (response.ETag === undefined) {
        throw unavailable(key, 'read the metadata of', new Error('the response has no ETag'));
      }
      return {
        size: response.ContentLength ?? 0,
        sha256,
        contentType: response.ContentType ?? DEFAULT_CONTENT_TYPE,
        createdAt: response.LastModified ?? new Date(0),
        version: { versionId: response.VersionId ?? null, etag: response.ETag },
      };
    } catch (error) {
      if (error instanceof ObjectStorageError) throw error;
      if (isNotFound(error)) return null;
      throw unavailable(key, 'read the metadata of', error);
    }
  }

  async delete(key: string): Promise<void> {
    assertObjectKey(key);
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw unavailable(key, 'delete', error);
    }
  }

  /**
   * Presign a GET or PUT. A PUT signs the content type and length, the
   * SHA-256 checksum, the SSE-KMS headers and If-None-Match, and keeps
   * them as headers the client must send, not query parameters, so S3
   * checks each one against the request. A GET signs the response
   * Content-Disposition (attachment unless `disposition` is inline) and,
   * for a `version`, either the versionId query parameter or an If-Match
   * header that the client must send.
   */
  async signedUrl(key: string, options: SignedUrlOptions): Promise<SignedUrl> {
    assertObjectKey(key);
    const normalized = validateSignedUrlOptions(options);
    const expiresAt = new Date(Date.now() + normalized.expiresInSeconds * 1000);

    if (normalized.method === 'GET') {
      const disposition = contentDispositionHeader(
        normalized.disposition ?? 'attachment',
        normalized.fileName ?? defaultFileName(key),
      );
      const selector = versionSelector(normalized.version);
      // S3 responds with 412 when If-Match differs from the object's ETag. Signing
      // the header stops a holder of the URL from dropping it.
      const headers: Record<string, string> =
        selector.IfMatch === undefined ? {} : { 'if-match': selector.IfMatch };
      const url = await getSignedUrl(
        this.#client,
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          ResponseContentDisposition: disposition,
          ...(normalized.contentType ? { ResponseContentType: normalized.contentType } : {}),
          ...selector,
        }),
        {
          expiresIn: normalized.expiresInSeconds,
          signableHeaders: new Set(Object.keys(headers)),
        },
      );
      return { url, expiresAt, headers };
    }

    const headers: Record<string, string> = {
      'if-none-match': '*',
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': this.#kmsKeyId,
    };
    if (normalized.contentType !== undefined) headers['content-type'] = normalized.contentType;
    if (normalized.contentLength !== undefined)
      headers['content-length'] = String(normalized.contentLength);
    if (normalized.sha256 !== undefined) {
      headers['x-amz-checksum-sha256'] = hexToBase64(normalized.sha256);
      headers['x-amz-meta-sha256'] = normalized.sha256;
    }

    const url = await getSignedUrl(
      this.#client,
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        IfNoneMatch: '*',
        ...this.#encryption(),
        ...(normalized.contentType ? { ContentType: normalized.contentType } : {}),
        ...(normalized.contentLength !== undefined
          ? { ContentLength: normalized.contentLength }
          : {}),
        ...(normalized.sha256
          ? {
              ChecksumSHA256: hexToBase64(normalized.sha256),
              Metadata: { sha256: normalized.sha256 },
            }
          : {}),
      }),
      {
        expiresIn: normalized.expiresInSeconds,
        signableHeaders: new Set(Object.keys(headers)),
        unhoistableHeaders: new Set(
          Object.keys(headers).filter((name) => name.startsWith('x-amz-')),
        ),
      },
    );
    return { url, expiresAt, headers };
  }
}
