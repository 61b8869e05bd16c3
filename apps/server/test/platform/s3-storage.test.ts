import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config/load-config.ts';
import { ObjectStorageError } from '../../src/platform/storage/object-storage.ts';
import { openObjectStorage } from '../../src/platform/storage/open-object-storage.ts';
import { S3ObjectStorage } from '../../src/platform/storage/s3-object-storage.ts';

const BUCKET = 'peytonix-evidence';
const KMS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function rejection(promise: Promise<unknown>): Promise<ObjectStorageError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ObjectStorageError);
  return error as ObjectStorageError;
}

/** Files under s3rver's directory that hold an object's bytes. */
function storedFiles(directory: string): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const full = path.join(current, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('._S3rver_object')) found.push(full);
    }
  };
  walk(directory);
  return found;
}

describe('S3 object storage on s3rver', () => {
  let server: S3rver;
  let directory: string;
  let storage: S3ObjectStorage;
  let client: S3Client;
  let endpoint: string;

  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), 'peytonix-s3rver-'));
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory,
      configureBuckets: [{ name: BUCKET }],
    });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    client = new S3Client({
      endpoint,
      forcePathStyle: true,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    storage = new S3ObjectStorage({ client, bucket: BUCKET, kmsKeyId: KMS_KEY });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('opens from the configuration', async () => {
    const config = loadConfig({
      PEYTONIX_DATA_DIR: directory,
      PEYTONIX_STORAGE: 's3',
      PEYTONIX_S3_BUCKET: BUCKET,
      PEYTONIX_S3_KMS_KEY_ID: 'alias/peytonix-evidence',
      PEYTONIX_AWS_REGION: 'eu-west-1',
      PEYTONIX_S3_ENDPOINT: endpoint,
    });
    const previous = {
      id: process.env.AWS_ACCESS_KEY_ID,
      secret: process.env.AWS_SECRET_ACCESS_KEY,
    };
    // The SDK reads credentials from the environment, as it reads a task role in AWS.
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    try {
      const opened = await openObjectStorage(config, async () => {
        throw new Error('S3 storage needs no data keys');
      });
      await opened.put('evidence/config/v1', Buffer.from('configured'));

      expect(opened.kind).toBe('s3');
      expect((await readAll(await opened.get('evidence/config/v1'))).toString()).toBe('configured');
    } finally {
      process.env.AWS_ACCESS_KEY_ID = previous.id;
      process.env.AWS_SECRET_ACCESS_KEY = previous.secret;
      if (previous.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (previous.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    }
  });

  it('stores, reads, describes and deletes an object', async () => {
    const body = Buffer.from('vendor,amount\nV1,10.00\n');

    const stored = await storage.put('evidence/e1/v1', body, { contentType: 'text/csv' });
    const read = await readAll(await storage.get('evidence/e1/v1', { sha256: sha256Of(body) }));
    const info = await storage.head('evidence/e1/v1');
    await storage.delete('evidence/e1/v1');

    expect(stored).toEqual({ key: 'evidence/e1/v1', size: body.length, sha256: sha256Of(body) });
    expect(read.equals(body)).toBe(true);
    expect(info).toMatchObject({ size: body.length, contentType: 'text/csv' });
    expect(await storage.head('evidence/e1/v1')).toBeNull();
    expect((await rejection(storage.get('evidence/e1/v1'))).code).toBe('ObjectNotFound');
  });

  it('rejects a body whose digest differs, storing nothing', async () => {
    const error = await rejection(
      storage.put('evidence/e2/v1', Buffer.from('abc'), { sha256: sha256Of(Buffer.from('abd')) }),
    );

    expect(error.code).toBe('ChecksumMismatch');
    expect(await storage.head('evidence/e2/v1')).toBeNull();
  });

  it('never replaces an object', async () => {
    await storage.put('evidence/e3/v1', Buffer.from('first'));

    const error = await rejection(storage.put('evidence/e3/v1', Buffer.from('second')));

    expect(error.code).toBe('ObjectExists');
    expect((await readAll(await storage.get('evidence/e3/v1'))).toString()).toBe('first');
  });

  it('fails a read whose bytes were changed in storage before the last byte', async () => {
    const body = Buffer.alloc(300_000, 'a');
    await storage.put('evidence/e4/v1', body);
    const [file] = storedFiles(directory).filter((name) => name.includes('e4'));
    if (file === undefined) throw new Error('s3rver did not store evidence/e4/v1 where expected');
    const altered = readFileSync(file);
    altered[1000] = 'b'.charCodeAt(0);
    writeFileSync(file, altered);

    const stream = await storage.get('evidence/e4/v1', { sha256: sha256Of(body) });
    const error = await rejection(readAll(stream));

    expect(error.code).toBe('IntegrityError');
  });

  it('returns the ETag as the version of an object', async () => {
    const body = Buffer.from('versioned');
    await storage.put('evidence/e9/v1', body);

    const info = await storage.head('evidence/e9/v1');

    // s3rver keeps no versions, and its ETag is the quoted MD5 as S3's is for a single-part upload.
    const md5 = createHash('md5').update(body).digest('hex');
    expect(info?.version).toEqual({ versionId: null, etag: `"${md5}"` });
  });

  it('streams the version that head returned', async () => {
    const body = Buffer.from('pinned bytes');
    await storage.put('evidence/e10/v1', body);
    const info = await storage.head('evidence/e10/v1');
    if (info === null) throw new Error('head found no object after put');

    const read = await readAll(await storage.get('evidence/e10/v1', { version: info.version }));

    expect(read.equals(body)).toBe(true);
  });

  it('rejects a version after the object was replaced', async () => {
    await storage.put('evidence/e11/v1', Buffer.from('scanned and clean'));
    const scanned = await storage.head('evidence/e11/v1');
    if (scanned === null) throw new Error('head found no object after put');
    // A raw client replaces the object, as someone holding bucket credentials could.
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'evidence/e11/v1' }));
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'evidence/e11/v1',
        Body: Buffer.from('swapped after the scan'),
      }),
    );

    const error = await rejection(storage.get('evidence/e11/v1', { version: scanned.version }));

    expect(error.code).toBe('VersionMismatch');
  });

  it('rejects a version id that the server does not return', async () => {
    await storage.put('evidence/e12/v1', Buffer.from('unversioned bucket'));
    const info = await storage.head('evidence/e12/v1');
    if (info === null) throw new Error('head found no object after put');

    const error = await rejection(
      storage.get('evidence/e12/v1', { version: { ...info.version, versionId: 'v-1' } }),
    );

    expect(error.code).toBe('VersionMismatch');
  });

  it('presigns a PUT that s3rver accepts with the signed headers', async () => {
    const body = Buffer.from('{"evidence": true}');
    const signed = await storage.signedUrl('evidence/e5/v1', {
      method: 'PUT',
      expiresInSeconds: 300,
      contentType: 'application/json',
      contentLength: body.length,
      sha256: sha256Of(body),
    });

    const response = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body });

    expect(response.status).toBe(200);
    expect(await storage.head('evidence/e5/v1')).not.toBeNull();
  });

  it('presigns a GET that downloads as an attachment', async () => {
    await storage.put('evidence/e6/v1', Buffer.from('report'));
    const signed = await storage.signedUrl('evidence/e6/v1', {
      method: 'GET',
      expiresInSeconds: 60,
      fileName: 'report "final".pdf',
    });

    const response = await fetch(signed.url);

    expect(await response.text()).toBe('report');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="report _final_.pdf"; filename*=UTF-8''report%20%22final%22.pdf`,
    );
  });

  it('presigns a GET of a version with the If-Match header', async () => {
    await storage.put('evidence/e13/v1', Buffer.from('pinned report'));
    const info = await storage.head('evidence/e13/v1');
    if (info === null) throw new Error('head found no object after put');
    const signed = await storage.signedUrl('evidence/e13/v1', {
      method: 'GET',
      expiresInSeconds: 60,
      version: info.version,
    });

    const response = await fetch(signed.url, { headers: signed.headers });

    expect(signed.headers).toEqual({ 'if-match': info.version.etag });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('pinned report');
  });
});

describe('S3 presigned URLs (contract test at the SDK boundary)', () => {
  const storage = new S3ObjectStorage({
    client: new S3Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' },
    }),
    bucket: BUCKET,
    kmsKeyId: KMS_KEY,
  });

  it('signs the content type, length, checksum, SSE-KMS and If-None-Match as headers', async () => {
    const signed = await storage.signedUrl('evidence/e7/v1', {
      method: 'PUT',
      expiresInSeconds: 900,
      contentType: 'application/pdf',
      contentLength: 1234,
      sha256: 'ab'.repeat(32),
    });
    const url = new URL(signed.url);
    const signedHeaders = (url.searchParams.get('X-Amz-SignedHeaders') ?? '').split(';');

    expect(signedHeaders).toEqual(
      expect.arrayContaining([
        'content-length',
        'content-type',
        'host',
        'if-none-match',
        'x-amz-checksum-sha256',
        'x-amz-meta-sha256',
        'x-amz-server-side-encryption',
        'x-amz-server-side-encryption-aws-kms-key-id',
      ]),
    );
    // Hoisted into the query, a header would not have to be sent; each must stay a header.
    for (const name of [
      'x-amz-checksum-sha256',
      'x-amz-server-side-encryption',
      'x-amz-server-side-encryption-aws-kms-key-id',
    ]) {
      expect(url.searchParams.has(name)).toBe(false);
    }
    expect(signed.headers).toEqual({
      'content-length': '1234',
      'content-type': 'application/pdf',
      'if-none-match': '*',
      'x-amz-checksum-sha256': Buffer.from('ab'.repeat(32), 'hex').toString('base64'),
      'x-amz-meta-sha256': 'ab'.repeat(32),
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': KMS_KEY,
    });
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
  });

  it('signs If-Match as a header for a version without a version id', async () => {
    const signed = await storage.signedUrl('evidence/e14/v1', {
      method: 'GET',
      expiresInSeconds: 60,
      version: { versionId: null, etag: '"9b2cf535f27731c974343645a3985328"' },
    });
    const url = new URL(signed.url);
    const signedHeaders = (url.searchParams.get('X-Amz-SignedHeaders') ?? '').split(';');

    expect(signedHeaders).toContain('if-match');
    expect(signed.headers).toEqual({ 'if-match': '"9b2cf535f27731c974343645a3985328"' });
    expect(url.searchParams.has('versionId')).toBe(false);
  });

  it('puts the version id of a version in the query', async () => {
    const signed = await storage.signedUrl('evidence/e15/v1', {
      method: 'GET',
      expiresInSeconds: 60,
      version: { versionId: '3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrH', etag: '"9b2cf535"' },
    });
    const url = new URL(signed.url);

    expect(url.searchParams.get('versionId')).toBe('3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrH');
    expect(signed.headers).toEqual({});
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
  });

  it('signs an inline disposition with a UTF-8 file name', async () => {
    const signed = await storage.signedUrl('evidence/e16/v1', {
      method: 'GET',
      expiresInSeconds: 60,
      disposition: 'inline',
      fileName: 'Prüfbericht.pdf',
    });
    const url = new URL(signed.url);

    expect(url.searchParams.get('response-content-disposition')).toBe(
      `inline; filename="Pr_fbericht.pdf"; filename*=UTF-8''Pr%C3%BCfbericht.pdf`,
    );
  });

  it('forces a download and signs the disposition of a GET', async () => {
    const signed = await storage.signedUrl('evidence/e8/v1', {
      method: 'GET',
      expiresInSeconds: 60,
      fileName: 'invoice.pdf',
    });
    const url = new URL(signed.url);

    expect(url.searchParams.get('response-content-disposition')).toBe(
      `attachment; filename="invoice.pdf"; filename*=UTF-8''invoice.pdf`,
    );
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.pathname).toBe(`/evidence/e8/v1`);
  });
});

describe('S3 versioned reads (contract test at the SDK boundary)', () => {
  /**
   * Build a storage whose client records each GetObject input and fails it
   * with `failure`, in place of sending the request to S3.
   */
  function recordingStorage(failure: { name: string; status: number }) {
    const inputs: Record<string, unknown>[] = [];
    const client = new S3Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' },
    });
    client.middlewareStack.add(
      () => async (args) => {
        inputs.push(args.input as Record<string, unknown>);
        throw Object.assign(new Error(failure.name), {
          name: failure.name,
          $metadata: { httpStatusCode: failure.status },
        });
      },
      { step: 'initialize' },
    );
    return { storage: new S3ObjectStorage({ client, bucket: BUCKET, kmsKeyId: KMS_KEY }), inputs };
  }

  it('sends If-Match and maps 412 to VersionMismatch', async () => {
    const { storage, inputs } = recordingStorage({ name: 'PreconditionFailed', status: 412 });

    const error = await rejection(
      storage.get('evidence/e17/v1', { version: { versionId: null, etag: '"abc"' } }),
    );

    expect(error.code).toBe('VersionMismatch');
    expect(inputs[0]).toMatchObject({ Key: 'evidence/e17/v1', IfMatch: '"abc"' });
    expect(inputs[0]).not.toHaveProperty('VersionId');
  });

  it('sends the version id and maps NoSuchVersion to VersionMismatch', async () => {
    const { storage, inputs } = recordingStorage({ name: 'NoSuchVersion', status: 404 });

    const error = await rejection(
      storage.get('evidence/e18/v1', { version: { versionId: 'v-7', etag: '"abc"' } }),
    );

    expect(error.code).toBe('VersionMismatch');
    expect(inputs[0]).toMatchObject({ Key: 'evidence/e18/v1', VersionId: 'v-7' });
    expect(inputs[0]).not.toHaveProperty('IfMatch');
  });

  it('keeps a 404 without a version as ObjectNotFound', async () => {
    const { storage } = recordingStorage({ name: 'NoSuchKey', status: 404 });

    const error = await rejection(storage.get('evidence/e19/v1'));

    expect(error.code).toBe('ObjectNotFound');
  });
});
