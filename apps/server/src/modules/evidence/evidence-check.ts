import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { ClamdScanner, ScanVerdict } from '../../platform/scanning/clamd-client.ts';
import {
  type ObjectStorage,
  ObjectStorageError,
  type ObjectVersion,
} from '../../platform/storage/object-storage.ts';
import { MAGIC_PREFIX_BYTES, matchesMagic } from './magic-bytes.ts';

/** The declaration a check compares the stored object with. */
export interface DeclaredObject {
  objectKey: string;
  contentType: string;
  size: number;
  /** SHA-256 as 64 lowercase hexadecimal digits. */
  sha256: string;
  /** The version an earlier check read; a later check must find the same one. */
  version: ObjectVersion | null;
}

/** The reason a check rejected the stored object. */
export type RejectionCode =
  | 'SIZE_MISMATCH'
  | 'HASH_MISMATCH'
  | 'CONTENT_TYPE_MISMATCH'
  | 'OBJECT_CHANGED'
  | 'OBJECT_UNVERIFIABLE';

/**
 * The outcome of one check. `not_uploaded` means there is no object yet,
 * and nothing about the version changes. Every other outcome is recorded:
 * `scanned` is true when clamd scanned the bytes, and `object` is the version read.
 */
export type CheckOutcome =
  | { state: 'not_uploaded' }
  | { state: 'available'; object: ObjectVersion; scanned: true }
  | {
      state: 'quarantined';
      object: ObjectVersion;
      scanned: true;
      signature: string;
      /** Set when the bytes also differed from the declaration. */
      mismatch: string | null;
    }
  | {
      state: 'rejected';
      object: ObjectVersion | null;
      scanned: boolean;
      code: RejectionCode;
      reason: string;
    }
  | { state: 'scan_pending'; object: ObjectVersion; scanned: true; error: string };

/** The result of reading the object once. */
interface ReadResult {
  size: number;
  sha256: string;
  prefix: Buffer;
  /** The read stopped because the object was larger than declared. */
  oversized: boolean;
  verdict: ScanVerdict;
}

/**
 * Read the object once, feeding every byte both to SHA-256 and to clamd,
 * and keeping the first MAGIC_PREFIX_BYTES. An object larger than declared
 * stops the read, because no further byte can make it match.
 */
async function readAndScan(
  body: Readable,
  scanner: ClamdScanner,
  declaredSize: number,
): Promise<ReadResult> {
  const digest = createHash('sha256');
  const session = scanner.open();
  const prefixChunks: Buffer[] = [];
  let prefixLength = 0;
  let size = 0;

  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > declaredSize) {
        session.abort();
        body.destroy();
        const verdict: ScanVerdict = {
          kind: 'error',
          reason: 'scanner_error',
          detail: 'not scanned',
        };
        return { size, sha256: '', prefix: Buffer.alloc(0), oversized: true, verdict };
      }
      digest.update(chunk);
      if (prefixLength < MAGIC_PREFIX_BYTES) {
        const needed = chunk.subarray(0, MAGIC_PREFIX_BYTES - prefixLength);
        prefixChunks.push(needed);
        prefixLength += needed.length;
      }
      await session.write(chunk);
    }
  } catch (error) {
    session.abort();
    throw error;
  }

  const verdict = await session.finish();
  return {
    size,
    sha256: digest.digest('hex'),
    prefix: Buffer.concat(prefixChunks),
    oversized: false,
    verdict,
  };
}

function sameVersion(left: ObjectVersion, right: ObjectVersion): boolean {
  return left.etag === right.etag && (left.versionId ?? null) === (right.versionId ?? null);
}

/**
 * Check a stored evidence object against its declaration in a single
 * read: size, SHA-256, magic bytes and a clamd scan of the same bytes.
 * A signature match quarantines the file, even when the bytes also differ,
 * so that it stays for investigation. Otherwise bytes that differ from the
 * declaration reject it, and a scan without a clean or infected verdict
 * leaves it for a later scan. Only a match with a clean verdict makes it
 * available. Storage failures other than a missing or changed object
 * propagate, so the caller records nothing and the version keeps its state.
 */
export async function checkEvidenceObject(
  storage: ObjectStorage,
  scanner: ClamdScanner,
  declared: DeclaredObject,
): Promise<CheckOutcome> {
  let info: Awaited<ReturnType<ObjectStorage['head']>>;
  try {
    info = await storage.head(declared.objectKey);
  } catch (error) {
    if (error instanceof ObjectStorageError && error.code === 'IntegrityError') {
      return {
        state: 'rejected',
        object: null,
        scanned: false,
        code: 'OBJECT_UNVERIFIABLE',
        reason: 'The stored object carries no SHA-256, so it was not uploaded through its URL.',
      };
    }
    throw error;
  }
  if (info === null) {
    if (declared.version === null) return { state: 'not_uploaded' };
    return {
      state: 'rejected',
      object: null,
      scanned: false,
      code: 'OBJECT_CHANGED',
      reason: 'The object that an earlier check read is gone from storage.',
    };
  }

  // A later check must read the bytes the first one found. With S3
  // versioning, reading by version id gets them even after an overwrite.
  const version = declared.version ?? info.version;
  if (declared.version !== null && declared.version.versionId === null) {
    if (!sameVersion(declared.version, info.version)) {
      return {
        state: 'rejected',
        object: declared.version,
        scanned: false,
        code: 'OBJECT_CHANGED',
        reason: 'The stored object was replaced after an earlier check read it.',
      };
    }
  }
  if (declared.version === null && info.size !== declared.size) {
    return {
      state: 'rejected',
      object: version,
      scanned: false,
      code: 'SIZE_MISMATCH',
      reason: `The uploaded file is ${info.size} bytes, but ${declared.size} bytes were declared.`,
    };
  }

  let result: ReadResult;
  try {
    const body = await storage.get(declared.objectKey, { version });
    result = await readAndScan(body, scanner, declared.size);
  } catch (error) {
    if (error instanceof ObjectStorageError) {
      if (error.code === 'VersionMismatch' || error.code === 'ObjectNotFound') {
        return {
          state: 'rejected',
          object: version,
          scanned: false,
          code: 'OBJECT_CHANGED',
          reason: 'The stored object changed while it was being checked.',
        };
      }
      if (error.code === 'IntegrityError' || error.code === 'ChecksumMismatch') {
        return {
          state: 'rejected',
          object: version,
          scanned: false,
          code: 'HASH_MISMATCH',
          reason: 'The stored bytes do not match the SHA-256 they were uploaded with.',
        };
      }
    }
    throw error;
  }

  return decide(declared, version, result);
}

function decide(
  declared: DeclaredObject,
  version: ObjectVersion,
  result: ReadResult,
): CheckOutcome {
  let mismatch: { code: RejectionCode; reason: string } | null = null;
  if (result.oversized) {
    mismatch = {
      code: 'SIZE_MISMATCH',
      reason: `The uploaded file is larger than the ${declared.size} bytes declared.`,
    };
  } else if (result.size !== declared.size) {
    mismatch = {
      code: 'SIZE_MISMATCH',
      reason: `The uploaded file is ${result.size} bytes, but ${declared.size} bytes were declared.`,
    };
  } else if (result.sha256 !== declared.sha256) {
    mismatch = {
      code: 'HASH_MISMATCH',
      reason: `The uploaded file has SHA-256 ${result.sha256}, but ${declared.sha256} was declared.`,
    };
  } else {
    const magic = matchesMagic(
      declared.contentType,
      result.prefix,
      result.size <= MAGIC_PREFIX_BYTES,
    );
    if (!magic.ok) mismatch = { code: 'CONTENT_TYPE_MISMATCH', reason: magic.reason };
  }

  if (result.verdict.kind === 'infected') {
    return {
      state: 'quarantined',
      object: version,
      scanned: true,
      signature: result.verdict.signature,
      mismatch: mismatch?.reason ?? null,
    };
  }
  if (mismatch !== null) {
    return { state: 'rejected', object: version, scanned: !result.oversized, ...mismatch };
  }
  if (result.verdict.kind === 'error') {
    return {
      state: 'scan_pending',
      object: version,
      scanned: true,
      error: `${result.verdict.reason}: ${result.verdict.detail}`.slice(0, 500),
    };
  }
  return { state: 'available', object: version, scanned: true };
}
