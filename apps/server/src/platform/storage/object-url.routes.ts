import { once } from 'node:events';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../http/app-error.ts';
import { contentDispositionHeader, defaultFileName } from './content-disposition.ts';
import { isLocalObjectStorage, type LocalObjectStorage } from './local-object-storage.ts';
import {
  assertContentType,
  describeVersion,
  type ObjectStorage,
  ObjectStorageError,
  type ObjectVersion,
  sameEtag,
} from './object-storage.ts';
import { OBJECT_URL_PATH, type SignedObjectGrant, SignedUrlError } from './signed-url.ts';

/**
 * Headers of every object download. The object is user content served
 * from the application's origin, so the browser must neither guess its
 * type nor run anything in it, and no cache may keep it after the URL
 * expires.
 */
const DOWNLOAD_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "sandbox; default-src 'none'",
  'cache-control': 'private, no-store',
} as const;

/**
 * Register the routes that serve signed URLs of the local object storage:
 * GET streams an object and PUT stores an upload. The signature is the
 * credential, so both routes are public. They respond with 404 when the server
 * stores objects in S3, whose signed URLs point at S3 itself.
 *
 * PUT bodies bypass the global body limit and reach the handler as a
 * stream, because uploads can be far larger than any JSON body. Only a
 * PUT URL that signs the exact Content-Length and SHA-256 is accepted, so
 * the signer bounds and pins every upload.
 */
export function registerObjectUrlRoutes(
  app: FastifyInstance,
  storage: () => Promise<ObjectStorage>,
) {
  void app.register(async (scope) => {
    // Encapsulated, so that only these routes take raw bodies of any type.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => {
      done(null, payload);
    });

    // The routes stay out of the OpenAPI document because clients only
    // follow URLs that the server issued, and never build them.
    const options = {
      config: { permission: 'public' },
      exposeHeadRoute: false,
      schema: { hide: true },
    };
    const openLocalStorage = () => localStorageOrNotFound(storage);
    scope.get(`${OBJECT_URL_PATH}*`, options, (request, reply) =>
      serveObject(request, reply, openLocalStorage),
    );
    scope.put(`${OBJECT_URL_PATH}*`, options, (request, reply) =>
      storeUpload(request, reply, openLocalStorage),
    );
  });
}

async function localStorageOrNotFound(
  storage: () => Promise<ObjectStorage>,
): Promise<LocalObjectStorage> {
  // Opening fails with StorageUnavailable when the data directory is not writable.
  const opened = await storage().catch((error: unknown) => {
    throw storageProblem(error, '');
  });
  if (!isLocalObjectStorage(opened)) {
    throw new AppError('ROUTE_NOT_FOUND', {
      detail: `This server keeps objects in ${opened.kind} storage, whose signed URLs point at the storage service, not at ${OBJECT_URL_PATH}.`,
    });
  }
  return opened;
}

/** Send an object's bytes for a signed GET URL, pinned to the version that the URL or a head read names. */
async function serveObject(
  request: FastifyRequest,
  reply: FastifyReply,
  openLocalStorage: () => Promise<LocalObjectStorage>,
) {
  const storage = await openLocalStorage();
  const grant = await verifyRequest(storage, request);
  const { key } = grant;

  const info = await storage.head(key).catch((error: unknown) => {
    throw storageProblem(error, key);
  });
  if (info === null) throw objectNotFound(key);
  // Content-Length comes from this head, so the get below must read the
  // same version, and get checks it again in case the key changed since.
  const version = grant.version ?? info.version;
  if (!sameLocalVersion(version, info.version)) throw versionChanged(key, grant);

  let body: Readable;
  try {
    body = await storage.get(key, { version });
  } catch (error) {
    throw storageProblem(error, key, grant);
  }

  // Wait for the first chunk, so that a failure there still becomes a
  // problem response. A later failure reaches the client after the
  // headers, and Fastify then destroys the socket, so the client sees a
  // body shorter than Content-Length and never a complete response.
  try {
    await once(body, 'readable');
  } catch (error) {
    body.destroy();
    throw storageProblem(error, key, grant);
  }
  body.on('error', (error) => {
    // Request logging is off, so Fastify does not log a stream failure
    // after the headers. This line is the only record of it.
    request.log.error({ err: error, objectKey: key }, 'object download failed after its headers');
  });

  return reply
    .code(200)
    .headers(DOWNLOAD_HEADERS)
    .header('content-type', grant.contentType ?? info.contentType)
    .header('content-length', String(info.size))
    .header(
      'content-disposition',
      contentDispositionHeader(
        grant.disposition ?? 'attachment',
        grant.fileName ?? defaultFileName(key),
      ),
    )
    .send(body);
}

/** Store the body of a signed PUT under the rules of put: never replace, and match the signed SHA-256 and length. */
async function storeUpload(
  request: FastifyRequest,
  reply: FastifyReply,
  openLocalStorage: () => Promise<LocalObjectStorage>,
) {
  // An upload rejected before its body has arrived closes the connection,
  // so the server does not read a body of up to the signed length only to
  // discard it.
  const rejectBody = () => {
    if (!request.raw.complete) reply.header('connection', 'close');
  };

  try {
    const storage = await openLocalStorage();
    const grant = await verifyRequest(storage, request);
    const { key } = grant;
    if (grant.contentLength === undefined || grant.sha256 === undefined) {
      throw new AppError('SIGNED_URL_INVALID', {
        detail: `The PUT URL for object "${key}" signs no Content-Length or no SHA-256, and this server accepts only pinned uploads. Request a new upload URL.`,
      });
    }
    const contentType = grant.contentType ?? requestContentType(request);

    const body = request.body instanceof Readable ? request.body : request.raw;
    const stored = await storage
      .put(key, body, {
        sha256: grant.sha256,
        ...(contentType === undefined ? {} : { contentType }),
      })
      .catch((error: unknown) => {
        throw uploadProblem(request, error, key);
      });

    // Node's HTTP parser ends a body at its Content-Length, which
    // verifyRequest matched with the signed one, so over a socket the sizes
    // agree. This check covers callers such as inject that pass any body.
    if (stored.size !== grant.contentLength) {
      await storage.delete(key).catch((error: unknown) => {
        throw storageProblem(error, key);
      });
      throw new AppError('UPLOAD_SIZE_MISMATCH', {
        detail: `The upload of object "${key}" was ${stored.size} bytes, but its URL requires ${grant.contentLength}; nothing was stored. Upload the file again.`,
      });
    }

    request.log.info({ objectKey: key, size: stored.size }, 'object stored through a signed URL');
    return reply.code(200).header('etag', `"${stored.sha256}"`).send();
  } catch (error) {
    rejectBody();
    throw error;
  }
}

/** Verify the request's signature and constraints, and turn a rejection into a 403 problem. */
async function verifyRequest(
  storage: LocalObjectStorage,
  request: FastifyRequest,
): Promise<SignedObjectGrant> {
  // The raw URL is what was signed, because Fastify's parsed params and
  // query are already percent-decoded.
  const queryStart = request.url.indexOf('?');
  const path = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const query = queryStart === -1 ? '' : request.url.slice(queryStart + 1);
  const contentLengthHeader = request.headers['content-length'];

  try {
    return await storage.verifySignedRequest({
      method: request.method,
      key: path.slice(OBJECT_URL_PATH.length),
      query,
      contentType: request.headers['content-type'],
      contentLength:
        contentLengthHeader !== undefined && /^[0-9]{1,15}$/.test(contentLengthHeader)
          ? Number(contentLengthHeader)
          : undefined,
    });
  } catch (error) {
    if (!(error instanceof SignedUrlError)) throw error;
    // The message names the key and the failed check, never the signature.
    throw new AppError(error.reason === 'Expired' ? 'SIGNED_URL_EXPIRED' : 'SIGNED_URL_INVALID', {
      detail: error.message,
      internal: error,
      extensions: { reason: error.reason },
    });
  }
}

/** Return the request's Content-Type for a PUT URL that signs none, or undefined for the default. */
function requestContentType(request: FastifyRequest): string | undefined {
  const contentType = request.headers['content-type'];
  if (contentType === undefined) return undefined;
  try {
    assertContentType(contentType);
  } catch (error) {
    throw new AppError('VALIDATION_FAILED', {
      detail: (error as Error).message,
      internal: error,
    });
  }
  return contentType;
}

/** Compare two versions as the local adapter does, whose ETags are SHA-256 digests in hex of either case. */
function sameLocalVersion(left: ObjectVersion, right: ObjectVersion): boolean {
  return (
    left.versionId === right.versionId &&
    sameEtag(left.etag.toLowerCase(), right.etag.toLowerCase())
  );
}

function objectNotFound(key: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No object is stored under the key "${key}"; it was deleted or never uploaded.`,
  });
}

function versionChanged(key: string, grant: SignedObjectGrant | undefined, cause?: unknown) {
  const detail =
    grant?.version === undefined
      ? `Object "${key}" changed while this request read it, so nothing was sent. Retry the request.`
      : `Object "${key}" no longer has the version this URL was issued for ` +
        `(${describeVersion(grant.version)}), so nothing was sent. Request a new URL.`;
  return new AppError('OBJECT_VERSION_MISMATCH', { detail, internal: cause });
}

/** Map an upload failure, which is a storage rejection or a body that ended early because the client went away. */
function uploadProblem(request: FastifyRequest, error: unknown, key: string): unknown {
  if (error instanceof ObjectStorageError) return storageProblem(error, key);
  if (!request.raw.complete) {
    return new AppError('UPLOAD_INCOMPLETE', {
      detail: `The upload of object "${key}" ended before its Content-Length was reached; nothing was stored. Upload the file again.`,
      internal: error,
    });
  }
  return error;
}

/** Turn an ObjectStorageError into its problem response. Other errors pass through unchanged. */
function storageProblem(error: unknown, key: string, grant?: SignedObjectGrant): unknown {
  if (!(error instanceof ObjectStorageError)) return error;
  switch (error.code) {
    case 'ObjectNotFound':
      return objectNotFound(key);
    case 'VersionMismatch':
      return versionChanged(key, grant, error);
    case 'ObjectExists':
      return new AppError('OBJECT_EXISTS', {
        detail: `An object is already stored under the key "${key}", and objects are never replaced. Request an upload URL for a new key.`,
        internal: error,
      });
    case 'ChecksumMismatch':
      return new AppError('CHECKSUM_MISMATCH', {
        detail: `The body's SHA-256 differs from the one the upload URL for object "${key}" requires; nothing was stored. Upload the file that the URL was issued for.`,
        internal: error,
      });
    case 'StorageUnavailable':
      return new AppError('SERVICE_UNAVAILABLE', {
        detail: 'The object storage is unavailable. Retry later.',
        internal: error,
        headers: { 'retry-after': '30' },
      });
    default:
      return new AppError('INTERNAL_ERROR', {
        detail: `Object "${key}" could not be read intact. Quote the request id to support; the server log has the cause.`,
        internal: error,
      });
  }
}
