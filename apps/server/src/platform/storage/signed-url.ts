import {
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DataKeyProvider } from '../keys/data-key-provider.ts';
import { KeyFileError, localKeyPath } from '../keys/local-signing-key.ts';
import {
  assertObjectKey,
  type ContentDisposition,
  type ObjectVersion,
  type SignedUrl,
  type SignedUrlOptions,
  validateObjectVersion,
} from './object-storage.ts';

/** Path of the route that serves local signed URLs; the object key follows it. */
export const OBJECT_URL_PATH = '/api/v1/storage/objects/';

/** File in `<dataDir>/keys` that contains the wrapped data key behind URL signatures. */
export const URL_SIGNING_KEY_FILE = 'object-url-signing.key';
const URL_SIGNING_CONTEXT = 'object-url-signing';
const HKDF_INFO = 'peytonix object URL signature v1';
const SIGNING_KEY_BYTES = 32;
// A wrapped data key is 61 bytes from the local provider and a few hundred
// from KMS, so a larger file is not a wrapped key.
const MAX_WRAPPED_KEY_FILE_BYTES = 4096;

/**
 * Load the 256-bit HMAC key for signed object URLs, creating it on first
 * use.
 *
 * The file stores a data key wrapped by the DataKeyProvider, not the HMAC
 * key itself, and the HMAC key is derived from the data key with HKDF.
 * With KMS configured, a copy of the data directory alone then cannot
 * forge a URL that makes this server decrypt an object, just as it cannot
 * decrypt the object files. With local keys the protection equals that of
 * the master key next to it. Losing the file only invalidates URLs already
 * issued, so a missing file is always replaced by a new key.
 */
export async function openUrlSigningKey(
  dataDir: string,
  provider: DataKeyProvider,
): Promise<KeyObject> {
  const file = localKeyPath(dataDir, URL_SIGNING_KEY_FILE);

  let wrapped: Buffer;
  try {
    wrapped = await readWrappedKeyFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await createWrappedKeyFile(file, provider);
    wrapped = await readWrappedKeyFile(file);
  }

  const dataKey = await provider.decryptDataKey(wrapped, URL_SIGNING_CONTEXT);
  try {
    const derived = Buffer.from(
      hkdfSync('sha256', dataKey, Buffer.alloc(0), HKDF_INFO, SIGNING_KEY_BYTES),
    );
    const key = createSecretKey(derived);
    derived.fill(0);
    return key;
  } finally {
    dataKey.fill(0);
  }
}

/** Read the wrapped key after checking that it is a small regular file private to its owner. */
async function readWrappedKeyFile(file: string): Promise<Buffer> {
  // O_NONBLOCK keeps open from waiting forever on a FIFO placed at this path.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new KeyFileError(
        file,
        'is not a regular file',
        `delete it so that a new key is created`,
      );
    }
    if ((info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8);
      throw new KeyFileError(
        file,
        `has mode ${mode}, which lets group or others read or write it`,
        `run chmod 600 ${file}`,
      );
    }
    if (info.size === 0 || info.size > MAX_WRAPPED_KEY_FILE_BYTES) {
      throw new KeyFileError(
        file,
        `is ${info.size} bytes, but a wrapped key is 1 to ${MAX_WRAPPED_KEY_FILE_BYTES} bytes`,
        'delete it so that a new key is created; signed URLs issued before then stop working',
      );
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Write a new wrapped data key to `file` with mode 0600 inside a 0700
 * directory. The key goes to a temporary file that is then linked into
 * place, so no process reads a partly written key. If another process
 * linked its key first, the link fails with EEXIST and that key wins.
 */
async function createWrappedKeyFile(file: string, provider: DataKeyProvider): Promise<void> {
  const directory = path.dirname(file);
  await mkdir(directory, { recursive: true, mode: 0o700 });

  // Only the wrapped form is stored; openUrlSigningKey unwraps whichever
  // key won the link.
  const { plaintext, wrapped } = await provider.generateDataKey(URL_SIGNING_CONTEXT);
  plaintext.fill(0);
  const temporary = `${file}.${randomBytes(8).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(wrapped);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Reason a signed request was rejected. Each one means the request is forbidden (HTTP 403). */
export type SignedUrlProblem = 'Malformed' | 'SignatureMismatch' | 'Expired' | 'ConstraintMismatch';

/** A request made with a signed object URL is not allowed. */
export class SignedUrlError extends Error {
  readonly reason: SignedUrlProblem;

  constructor(reason: SignedUrlProblem, message: string) {
    super(message);
    this.name = 'SignedUrlError';
    this.reason = reason;
  }
}

/** The parts of an incoming request that verifySignedRequest checks. */
export interface SignedObjectRequest {
  /** The HTTP method, such as GET. */
  method: string;
  /** The object key: the request path after OBJECT_URL_PATH. */
  key: string;
  /** The query string, with or without its leading '?', or its parsed form. */
  query: string | URLSearchParams;
  /** The request's Content-Type header; compared when a PUT URL signs one. */
  contentType?: string | undefined;
  /** The request's Content-Length header; compared when a PUT URL signs one. */
  contentLength?: number | undefined;
}

/**
 * What a verified signed URL allows. The route must still enforce the
 * parts that only the body can prove: for a PUT it passes `sha256` to put
 * and checks that the stored size equals `contentLength`. For a GET it
 * reads with `version` when set, and sets the response Content-Type and
 * Content-Disposition from `contentType`, `disposition` and `fileName`
 * when they are set.
 */
export interface SignedObjectGrant {
  method: 'GET' | 'PUT';
  key: string;
  expiresAt: Date;
  contentType?: string;
  contentLength?: number;
  sha256?: string;
  fileName?: string;
  disposition?: ContentDisposition;
  version?: ObjectVersion;
}

// Query parameter names. The method is not among them, because it is the
// request's own method.
const PARAMETERS = {
  expires: 'expires',
  contentType: 'content-type',
  contentLength: 'content-length',
  sha256: 'sha256',
  fileName: 'filename',
  disposition: 'disposition',
  versionId: 'version-id',
  etag: 'etag',
  signature: 'signature',
} as const;
const KNOWN_PARAMETERS = new Set<string>(Object.values(PARAMETERS));

/**
 * Build the string to sign: a JSON array, so values cannot run into each
 * other, with null for a constraint that is not set. The first element
 * names the layout, so a URL signed under an older layout never verifies.
 */
function canonicalRequest(grant: SignedObjectGrant, expires: number): string {
  return JSON.stringify([
    'peytonix-object-url-v2',
    grant.method,
    grant.key,
    expires,
    grant.contentType ?? null,
    grant.contentLength ?? null,
    grant.sha256 ?? null,
    grant.fileName ?? null,
    grant.disposition ?? null,
    grant.version?.versionId ?? null,
    grant.version?.etag ?? null,
  ]);
}

function sign(signingKey: KeyObject, grant: SignedObjectGrant, expires: number): string {
  return createHmac('sha256', signingKey)
    .update(canonicalRequest(grant, expires))
    .digest('base64url');
}

/**
 * Create a signed URL at `origin` for options already checked by
 * validateSignedUrlOptions. The expiry is a whole Unix second, rounded up.
 */
export function createSignedObjectUrl(
  signingKey: KeyObject,
  origin: string,
  key: string,
  options: SignedUrlOptions,
  now: Date,
): SignedUrl {
  assertObjectKey(key);
  const expires = Math.ceil(now.getTime() / 1000) + options.expiresInSeconds;
  const grant = grantOf(key, options, expires);

  const query = new URLSearchParams({ [PARAMETERS.expires]: String(expires) });
  const headers: Record<string, string> = {};
  if (grant.contentType !== undefined) {
    query.set(PARAMETERS.contentType, grant.contentType);
    if (grant.method === 'PUT') headers['content-type'] = grant.contentType;
  }
  if (grant.contentLength !== undefined) {
    query.set(PARAMETERS.contentLength, String(grant.contentLength));
    headers['content-length'] = String(grant.contentLength);
  }
  if (grant.sha256 !== undefined) query.set(PARAMETERS.sha256, grant.sha256);
  if (grant.fileName !== undefined) query.set(PARAMETERS.fileName, grant.fileName);
  if (grant.disposition !== undefined) query.set(PARAMETERS.disposition, grant.disposition);
  if (grant.version !== undefined) {
    if (grant.version.versionId !== null) query.set(PARAMETERS.versionId, grant.version.versionId);
    query.set(PARAMETERS.etag, grant.version.etag);
  }
  query.set(PARAMETERS.signature, sign(signingKey, grant, expires));

  const url = new URL(`${OBJECT_URL_PATH}${key}?${query.toString()}`, origin);
  return { url: url.toString(), expiresAt: new Date(expires * 1000), headers };
}

function grantOf(key: string, options: SignedUrlOptions, expires: number): SignedObjectGrant {
  const grant: SignedObjectGrant = {
    method: options.method,
    key,
    expiresAt: new Date(expires * 1000),
  };
  if (options.contentType !== undefined) grant.contentType = options.contentType;
  if (options.contentLength !== undefined) grant.contentLength = options.contentLength;
  if (options.sha256 !== undefined) grant.sha256 = options.sha256;
  if (options.fileName !== undefined) grant.fileName = options.fileName;
  if (options.disposition !== undefined) grant.disposition = options.disposition;
  if (options.version !== undefined) grant.version = options.version;
  return grant;
}

/**
 * Check a request made with a signed object URL and return what it allows.
 * Throws a SignedUrlError with these reasons, checked in this order:
 * Malformed for a URL that cannot be parsed, SignatureMismatch when the
 * signature does not cover this method, key, expiry and constraints,
 * Expired after the expiry, and ConstraintMismatch for a Content-Type or
 * Content-Length header that differs from a signed one. The signature is
 * compared in constant time.
 */
export function verifySignedObjectRequest(
  signingKey: KeyObject,
  request: SignedObjectRequest,
  now: Date,
): SignedObjectGrant {
  const { method, key } = request;
  const query =
    typeof request.query === 'string' ? new URLSearchParams(request.query) : request.query;
  const malformed = (detail: string) =>
    new SignedUrlError('Malformed', `The signed URL for object "${key}" is malformed: ${detail}.`);

  if (method !== 'GET' && method !== 'PUT') {
    throw malformed(`it allows only GET or PUT, not ${method}`);
  }
  try {
    assertObjectKey(key);
  } catch {
    throw malformed('the object key is invalid');
  }
  for (const name of new Set(query.keys())) {
    if (!KNOWN_PARAMETERS.has(name)) throw malformed(`unknown query parameter "${name}"`);
    if (query.getAll(name).length > 1) throw malformed(`query parameter "${name}" appears twice`);
  }

  const signature = query.get(PARAMETERS.signature);
  const expiresText = query.get(PARAMETERS.expires);
  if (signature === null) throw malformed('the signature is missing');
  if (expiresText === null || !/^[0-9]{1,15}$/.test(expiresText)) {
    throw malformed('the expiry is missing or not a whole number of seconds');
  }
  const expires = Number(expiresText);

  const grant: SignedObjectGrant = { method, key, expiresAt: new Date(expires * 1000) };
  const contentType = query.get(PARAMETERS.contentType);
  if (contentType !== null) grant.contentType = contentType;
  const contentLength = query.get(PARAMETERS.contentLength);
  if (contentLength !== null) {
    if (!/^[0-9]{1,15}$/.test(contentLength))
      throw malformed('the content length is not a whole number');
    grant.contentLength = Number(contentLength);
  }
  const sha256 = query.get(PARAMETERS.sha256);
  if (sha256 !== null) grant.sha256 = sha256;
  const fileName = query.get(PARAMETERS.fileName);
  if (fileName !== null) grant.fileName = fileName;
  const disposition = query.get(PARAMETERS.disposition);
  if (disposition !== null) {
    if (disposition !== 'attachment' && disposition !== 'inline') {
      throw malformed('the disposition is neither attachment nor inline');
    }
    grant.disposition = disposition;
  }
  const versionId = query.get(PARAMETERS.versionId);
  const etag = query.get(PARAMETERS.etag);
  if (etag !== null) {
    try {
      grant.version = validateObjectVersion({ versionId, etag });
    } catch {
      throw malformed('the version is invalid');
    }
  } else if (versionId !== null) {
    throw malformed('the etag of the version id is missing');
  }

  // Both sides are base64url text of one length, so comparing the bytes in
  // constant time reveals nothing about the expected signature.
  const expected = Buffer.from(sign(signingKey, grant, expires), 'utf8');
  const provided = Buffer.from(signature, 'utf8');
  if (provided.length !== expected.length || !timingSafeEqual(provided, expected)) {
    throw new SignedUrlError(
      'SignatureMismatch',
      `The signature of the ${method} URL for object "${key}" does not match; request a new URL.`,
    );
  }

  if (now.getTime() >= expires * 1000) {
    throw new SignedUrlError(
      'Expired',
      `The ${method} URL for object "${key}" expired at ${grant.expiresAt.toISOString()}; request a new URL.`,
    );
  }

  if (method === 'PUT') {
    if (grant.contentType !== undefined && request.contentType !== grant.contentType) {
      throw new SignedUrlError(
        'ConstraintMismatch',
        `The upload of object "${key}" sent Content-Type ${JSON.stringify(request.contentType ?? null)}, ` +
          `but its URL requires ${JSON.stringify(grant.contentType)}.`,
      );
    }
    if (grant.contentLength !== undefined && request.contentLength !== grant.contentLength) {
      throw new SignedUrlError(
        'ConstraintMismatch',
        `The upload of object "${key}" sent Content-Length ${request.contentLength ?? 'none'}, ` +
          `but its URL requires ${grant.contentLength}.`,
      );
    }
  }
  return grant;
}
