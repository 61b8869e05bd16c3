import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/platform/config/load-config.ts';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { readMigrationFiles } from '../../src/platform/db/migrations.ts';
import { openDataKeyProvider } from '../../src/platform/keys/key-provider.ts';
import {
  type LocalObjectStorage,
  OBJECT_FILE_SUFFIX,
  openLocalObjectStorage,
  TEMPORARY_DIRECTORY,
} from '../../src/platform/storage/local-object-storage.ts';
import {
  DEFAULT_CHUNK_BYTES,
  FIXED_HEADER_PREFIX_BYTES,
  SEALED_METADATA_BYTES,
  TAG_BYTES,
} from '../../src/platform/storage/object-format.ts';
import type {
  ObjectStorage,
  SignedUrl,
  SignedUrlOptions,
} from '../../src/platform/storage/object-storage.ts';
import { registerObjectUrlRoutes } from '../../src/platform/storage/object-url.routes.ts';
import { S3ObjectStorage } from '../../src/platform/storage/s3-object-storage.ts';
import { OBJECT_URL_PATH } from '../../src/platform/storage/signed-url.ts';
import { migrateDatabase } from '../../src/runtime.ts';
import {
  captureLogger,
  createTestServices,
  startTestApp,
  type TestApp,
} from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const CHUNK = DEFAULT_CHUNK_BYTES;
const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface ObjectUrlApp {
  app: FastifyInstance;
  logLines: Record<string, unknown>[];
  close(): Promise<void>;
}

/**
 * Build the app with only the object URL routes, serving `openStorage`.
 * startTestApp adds every module's routes, which already include these
 * routes with the app's own storage, so it cannot give them a storage
 * whose clock the tests control.
 */
async function startObjectUrlApp(
  database: TestDatabase,
  openStorage: () => Promise<ObjectStorage>,
): Promise<ObjectUrlApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'peytonix-object-urls-app-'));
  const config = loadConfig({
    DATABASE_URL: database.ownerUrl,
    PEYTONIX_APP_DATABASE_URL: database.appUrl,
    PEYTONIX_DATA_DIR: dataDir,
  });
  const logLines: Record<string, unknown>[] = [];
  const logger = captureLogger(logLines);
  const handle: DatabaseHandle = openDatabase({
    url: database.appUrl,
    poolMax: 2,
    statementTimeoutMs: 10_000,
    applicationName: 'peytonix-test',
    logger,
  });
  const services = createTestServices(handle.db, logger);
  const app = await buildApp(config, {
    logger,
    db: handle.db,
    services,
    migrationFiles: readMigrationFiles(),
    readinessChecks: [],
    routeModules: [(scope) => registerObjectUrlRoutes(scope, openStorage)],
  });
  return {
    app,
    logLines,
    async close() {
      await app.close();
      await services.close();
      await handle.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Return the path and query of a signed URL, as a client sends them to the server. */
function requestTarget(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

function withQuery(url: string, change: (query: URLSearchParams) => void): string {
  const parsed = new URL(url);
  change(parsed.searchParams);
  return parsed.toString();
}

function expectProblem(
  response: { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
  code: string,
): Record<string, unknown> {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect(body.code).toBe(code);
  return body;
}

describe('signed object URLs over HTTP', () => {
  let database: TestDatabase;
  let dataDir: string;
  let storage: LocalObjectStorage;
  let clock: Date;
  let server: ObjectUrlApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateDatabase(database.ownerUrl, captureLogger([], 'silent'));
    dataDir = mkdtempSync(path.join(tmpdir(), 'peytonix-object-urls-'));
    const dataKeys = await openDataKeyProvider(loadConfig({ PEYTONIX_DATA_DIR: dataDir }), {
      create: true,
    });
    clock = new Date();
    storage = await openLocalObjectStorage({
      dataDir,
      dataKeys: async () => dataKeys,
      publicOrigin: 'http://127.0.0.1:3000',
      now: () => clock,
    });
    server = await startObjectUrlApp(database, async () => storage);
  });
  afterEach(() => {
    clock = new Date();
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  let keyCount = 0;
  /** Return a key that no other test uses. */
  const newKey = () => {
    keyCount += 1;
    return `evidence/http/${keyCount}`;
  };

  /** Sign a PUT pinned to `body`: its type, exact length and SHA-256. */
  function signUpload(key: string, body: Buffer, options: Partial<SignedUrlOptions> = {}) {
    return storage.signedUrl(key, {
      method: 'PUT',
      expiresInSeconds: 600,
      contentType: 'application/pdf',
      contentLength: body.length,
      sha256: sha256Of(body),
      ...options,
    });
  }

  function upload(signed: SignedUrl, body: Buffer, headers: Record<string, string> = {}) {
    return server.app.inject({
      method: 'PUT',
      url: requestTarget(signed.url),
      headers: { ...signed.headers, ...headers },
      payload: body,
    });
  }

  function download(url: string) {
    return server.app.inject({ method: 'GET', url: requestTarget(url) });
  }

  async function storeObject(key: string, body: Buffer) {
    await storage.put(key, body, { contentType: 'application/pdf' });
    const info = await storage.head(key);
    if (info === null) throw new Error(`head found no object "${key}" after put`);
    return info;
  }

  const objectFileOf = (key: string) => path.join(storage.directory, `${key}${OBJECT_FILE_SUFFIX}`);

  it('uploads and downloads an object', async () => {
    const key = newKey();
    const body = randomBytes(3 * CHUNK + 321);
    const uploadUrl = await signUpload(key, body);

    const stored = await upload(uploadUrl, body);

    expect(stored.statusCode).toBe(200);
    expect(stored.headers.etag).toBe(`"${sha256Of(body)}"`);
    expect(stored.body).toBe('');
    const info = await storage.head(key);
    expect(info).toMatchObject({ size: body.length, contentType: 'application/pdf' });
    if (info === null) throw new Error('the upload stored no object');

    const downloadUrl = await storage.signedUrl(key, {
      method: 'GET',
      expiresInSeconds: 60,
      fileName: 'Prüfbericht Q1.pdf',
      version: info.version,
    });
    const response = await download(downloadUrl.url);

    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.equals(body)).toBe(true);
    expect(response.headers['content-type']).toBe('application/pdf');
    expect(response.headers['content-length']).toBe(String(body.length));
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="Pr_fbericht Q1.pdf"; filename*=UTF-8''Pr%C3%BCfbericht%20Q1.pdf`,
    );
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
    expect(response.headers['cache-control']).toBe('private, no-store');
  });

  it('downloads with the type and disposition that the URL signs', async () => {
    const key = newKey();
    await storeObject(key, Buffer.from('<p>report</p>'));
    const signed = await storage.signedUrl(key, {
      method: 'GET',
      expiresInSeconds: 60,
      contentType: 'text/plain',
      disposition: 'inline',
    });

    const response = await download(signed.url);

    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('<p>report</p>');
    expect(response.headers['content-type']).toBe('text/plain');
    expect(response.headers['content-disposition']).toBe(
      `inline; filename="${key.split('/').at(-1)}"; filename*=UTF-8''${key.split('/').at(-1)}`,
    );
  });

  it('downloads an empty object', async () => {
    const key = newKey();
    await storeObject(key, Buffer.alloc(0));
    const signed = await storage.signedUrl(key, { method: 'GET', expiresInSeconds: 60 });

    const response = await download(signed.url);

    expect(response.statusCode).toBe(200);
    expect(response.rawPayload.length).toBe(0);
    expect(response.headers['content-length']).toBe('0');
  });

  it('serves a key of the maximum length', async () => {
    const key = `evidence/${'k'.repeat(241)}`;
    const body = Buffer.from('long key');
    const uploadUrl = await signUpload(key, body);

    const stored = await upload(uploadUrl, body);
    const response = await download(
      (await storage.signedUrl(key, { method: 'GET', expiresInSeconds: 60 })).url,
    );

    expect(key.length).toBe(250);
    expect(stored.statusCode).toBe(200);
    expect(response.body).toBe('long key');
  });

  it('rejects an expired URL', async () => {
    const key = newKey();
    await storeObject(key, Buffer.from('expiring'));
    const signed = await storage.signedUrl(key, { method: 'GET', expiresInSeconds: 60 });
    clock = new Date(signed.expiresAt.getTime());

    const response = await download(signed.url);

    const problem = expectProblem(response, 403, 'SIGNED_URL_EXPIRED');
    expect(problem.reason).toBe('Expired');
  });

  const tamperedGets: Array<[string, (url: string) => string]> = [
    [
      'signature',
      (url) =>
        withQuery(url, (query) => {
          const signature = query.get('signature') ?? '';
          query.set('signature', `${signature.endsWith('A') ? 'B' : 'A'}${signature.slice(1)}`);
        }),
    ],
    ['key', (url) => url.replace(`${OBJECT_URL_PATH}evidence/`, `${OBJECT_URL_PATH}datasets/`)],
    [
      'expiry',
      (url) =>
        withQuery(url, (query) => query.set('expires', String(Number(query.get('expires')) + 60))),
    ],
    ['etag', (url) => withQuery(url, (query) => query.set('etag', 'ab'.repeat(32)))],
    ['disposition', (url) => withQuery(url, (query) => query.set('disposition', 'inline'))],
    ['unknown parameter', (url) => withQuery(url, (query) => query.set('acl', 'public-read'))],
    ['percent-encoded key', (url) => url.replace('/http/', '/%68ttp/')],
  ];

  it.each(tamperedGets)('rejects a GET URL with a tampered %s', async (_name, tamper) => {
    const key = newKey();
    const info = await storeObject(key, Buffer.from('tamper target'));
    const signed = await storage.signedUrl(key, {
      method: 'GET',
      expiresInSeconds: 60,
      version: info.version,
    });

    const response = await download(tamper(signed.url));

    expectProblem(response, 403, 'SIGNED_URL_INVALID');
    expect(response.body).not.toContain('tamper target');
  });

  it('rejects a PUT URL with a tampered content length', async () => {
    const key = newKey();
    const body = Buffer.from('pinned upload');
    const signed = await signUpload(key, body);
    const tampered = withQuery(signed.url, (query) =>
      query.set('content-length', String(body.length + 1)),
    );

    const response = await server.app.inject({
      method: 'PUT',
      url: requestTarget(tampered),
      headers: { ...signed.headers, 'content-length': String(body.length + 1) },
      payload: Buffer.concat([body, Buffer.from('!')]),
    });

    expectProblem(response, 403, 'SIGNED_URL_INVALID');
    expect(await storage.head(key)).toBeNull();
  });

  const mismatchedHeaders: Array<[string, Record<string, string>]> = [
    ['Content-Type', { 'content-type': 'text/html' }],
    ['Content-Length', { 'content-length': '5' }],
  ];

  it.each(mismatchedHeaders)('rejects a PUT with another %s header', async (_name, headers) => {
    const key = newKey();
    const body = Buffer.from('header checked upload');
    const signed = await signUpload(key, body);

    const response = await upload(signed, body, headers);

    const problem = expectProblem(response, 403, 'SIGNED_URL_INVALID');
    expect(problem.reason).toBe('ConstraintMismatch');
    expect(response.headers.connection).toBe('close');
    expect(await storage.head(key)).toBeNull();
  });

  it('rejects a body with another SHA-256 and stores nothing', async () => {
    const key = newKey();
    const body = Buffer.from('the file that was declared');
    const signed = await signUpload(key, body);
    const other = Buffer.from('a file of equal length!!!!');
    expect(other.length).toBe(body.length);

    const response = await upload(signed, other);

    expectProblem(response, 400, 'CHECKSUM_MISMATCH');
    expect(await storage.head(key)).toBeNull();
    expect(await readdir(path.join(storage.directory, TEMPORARY_DIRECTORY))).toEqual([]);
  });

  it('rejects a body longer than the signed length and stores nothing', async () => {
    const key = newKey();
    const body = Buffer.from('declared length plus one');
    // The header matches the URL, but the injected body is longer. Node's
    // HTTP parser would cut it at Content-Length, but inject does not.
    const signed = await signUpload(key, body, { contentLength: body.length - 1 });

    const response = await upload(signed, body);

    expectProblem(response, 400, 'UPLOAD_SIZE_MISMATCH');
    expect(await storage.head(key)).toBeNull();
  });

  it('rejects a second upload to the same key', async () => {
    const key = newKey();
    const first = Buffer.from('first upload');
    const second = Buffer.from('second upload');
    expect((await upload(await signUpload(key, first), first)).statusCode).toBe(200);

    const response = await upload(await signUpload(key, second), second);

    expectProblem(response, 412, 'OBJECT_EXISTS');
    const info = await storage.head(key);
    expect(info?.sha256).toBe(sha256Of(first));
  });

  it('rejects a GET URL used for a PUT', async () => {
    const key = newKey();
    const body = Buffer.from('method bound');
    const signed = await storage.signedUrl(key, { method: 'GET', expiresInSeconds: 60 });

    const response = await server.app.inject({
      method: 'PUT',
      url: requestTarget(signed.url),
      headers: { 'content-type': 'application/pdf' },
      payload: body,
    });

    expectProblem(response, 403, 'SIGNED_URL_INVALID');
    expect(await storage.head(key)).toBeNull();
  });

  it('rejects a PUT URL used for a GET', async () => {
    const key = newKey();
    await storeObject(key, Buffer.from('method bound'));
    const signed = await signUpload(key, Buffer.from('method bound'));

    const response = await download(signed.url);

    expectProblem(response, 403, 'SIGNED_URL_INVALID');
  });

  const unpinnedUploads: Array<[string, 'sha256' | 'contentLength']> = [
    ['a SHA-256', 'sha256'],
    ['a content length', 'contentLength'],
  ];

  it.each(unpinnedUploads)('rejects a PUT URL that signs no %s', async (_name, omitted) => {
    const key = newKey();
    const body = Buffer.from('unpinned upload');
    const options: SignedUrlOptions = {
      method: 'PUT',
      expiresInSeconds: 600,
      contentType: 'application/pdf',
      contentLength: body.length,
      sha256: sha256Of(body),
    };
    delete options[omitted];
    const signed = await storage.signedUrl(key, options);

    const response = await upload(signed, body, { 'content-length': String(body.length) });

    expectProblem(response, 403, 'SIGNED_URL_INVALID');
    expect(await storage.head(key)).toBeNull();
  });

  it('stores the request content type when the URL signs none', async () => {
    const key = newKey();
    const body = Buffer.from('a,b\n1,2\n');
    const unsigned = await storage.signedUrl(key, {
      method: 'PUT',
      expiresInSeconds: 600,
      contentLength: body.length,
      sha256: sha256Of(body),
    });

    const response = await upload(unsigned, body, { 'content-type': 'text/csv' });

    expect(response.statusCode).toBe(200);
    expect((await storage.head(key))?.contentType).toBe('text/csv');
  });

  it('rejects a replaced version without its bytes', async () => {
    const key = newKey();
    const scanned = await storeObject(key, Buffer.from('scanned and clean'));
    const signed = await storage.signedUrl(key, {
      method: 'GET',
      expiresInSeconds: 60,
      version: scanned.version,
    });
    await rm(objectFileOf(key));
    await storage.put(key, Buffer.from('SWAPPED-AFTER-SCAN'));

    const response = await download(signed.url);

    expectProblem(response, 412, 'OBJECT_VERSION_MISMATCH');
    expect(response.body).not.toContain('SWAPPED-AFTER-SCAN');
  });

  it('returns 404 for a deleted object', async () => {
    const key = newKey();
    await storeObject(key, Buffer.from('deleted soon'));
    const signed = await storage.signedUrl(key, { method: 'GET', expiresInSeconds: 60 });
    await storage.delete(key);

    const response = await download(signed.url);

    expectProblem(response, 404, 'RESOURCE_NOT_FOUND');
  });

  it('returns 500 when the first chunk fails', async () => {
    const key = newKey();
    const body = Buffer.alloc(3 * CHUNK, 'p');
    await storeObject(key, body);
    const file = objectFileOf(key);
    const bytes = await readFile(file);
    const wrappedKeyLength = bytes.readUInt16BE(FIXED_HEADER_PREFIX_BYTES - 2);
    const firstChunk = FIXED_HEADER_PREFIX_BYTES + wrappedKeyLength + SEALED_METADATA_BYTES;
    bytes[firstChunk + 5] = (bytes[firstChunk + 5] ?? 0) ^ 0x01;
    await writeFile(file, bytes);
    const signed = await storage.signedUrl(key, { method: 'GET', expiresInSeconds: 60 });

    const response = await download(signed.url);

    expectProblem(response, 500, 'INTERNAL_ERROR');
    expect(response.body).not.toContain('pppp');
  });

  it('writes no signature to the log', async () => {
    const key = newKey();
    const body = Buffer.from('logged request');
    const uploadUrl = await signUpload(key, body);
    const downloadUrl = await storage.signedUrl(key, { method: 'GET', expiresInSeconds: 60 });
    const tampered = withQuery(downloadUrl.url, (query) => query.set('acl', 'x'));
    const before = server.logLines.length;

    expect((await upload(uploadUrl, body)).statusCode).toBe(200);
    expect((await download(downloadUrl.url)).statusCode).toBe(200);
    expect((await download(tampered)).statusCode).toBe(403);

    const written = JSON.stringify(server.logLines.slice(before));
    expect(written).toContain('request completed');
    expect(written).toContain('request rejected');
    for (const url of [uploadUrl.url, downloadUrl.url]) {
      const signature = new URL(url).searchParams.get('signature') ?? '';
      expect(signature.length).toBeGreaterThan(20);
      expect(written).not.toContain(signature);
    }
    expect(written).not.toContain('expires=');
  });
});

describe('signed object URLs over a socket', () => {
  let database: TestDatabase;
  let dataDir: string;
  let storage: LocalObjectStorage;
  let server: ObjectUrlApp;
  let origin: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateDatabase(database.ownerUrl, captureLogger([], 'silent'));
    dataDir = mkdtempSync(path.join(tmpdir(), 'peytonix-object-urls-socket-'));
    const dataKeys = await openDataKeyProvider(loadConfig({ PEYTONIX_DATA_DIR: dataDir }), {
      create: true,
    });
    storage = await openLocalObjectStorage({
      dataDir,
      dataKeys: async () => dataKeys,
      publicOrigin: 'http://127.0.0.1:3000',
    });
    server = await startObjectUrlApp(database, async () => storage);
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = server.app.server.address() as AddressInfo;
    origin = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const urlAt = (signed: SignedUrl) => `${origin}${requestTarget(signed.url)}`;
  const temporaryFiles = () => readdir(path.join(storage.directory, TEMPORARY_DIRECTORY));

  it('aborts a download when a later chunk fails', async () => {
    const key = 'evidence/socket/damaged';
    await storage.put(key, randomBytes(6 * CHUNK));
    const file = path.join(storage.directory, `${key}${OBJECT_FILE_SUFFIX}`);
    const bytes = await readFile(file);
    const wrappedKeyLength = bytes.readUInt16BE(FIXED_HEADER_PREFIX_BYTES - 2);
    const bodyStart = FIXED_HEADER_PREFIX_BYTES + wrappedKeyLength + SEALED_METADATA_BYTES;
    const chunkFour = bodyStart + 4 * (CHUNK + TAG_BYTES);
    bytes[chunkFour + 5] = (bytes[chunkFour + 5] ?? 0) ^ 0x01;
    await writeFile(file, bytes);
    const signed = await storage.signedUrl(key, { method: 'GET', expiresInSeconds: 60 });

    const response = await fetch(urlAt(signed));

    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(6 * CHUNK));
    await expect(response.arrayBuffer()).rejects.toThrow();
    await waitFor(() =>
      server.logLines.some((line) => line.msg === 'object download failed after its headers'),
    );
  });

  it('stores nothing when the client aborts an upload', async () => {
    const key = 'evidence/socket/aborted';
    const body = randomBytes(8 * CHUNK);
    const signed = await storage.signedUrl(key, {
      method: 'PUT',
      expiresInSeconds: 60,
      contentType: 'application/pdf',
      contentLength: body.length,
      sha256: sha256Of(body),
    });
    const request = http.request(urlAt(signed), { method: 'PUT', headers: signed.headers });
    const closed = new Promise<void>((resolve) => {
      request.on('error', () => resolve());
      request.on('close', () => resolve());
    });

    request.write(body.subarray(0, 3 * CHUNK));
    await waitFor(async () => (await temporaryFiles()).length > 0);
    request.destroy();
    await closed;

    await waitFor(() =>
      server.logLines.some(
        (line) => line.msg === 'request rejected' && line.code === 'UPLOAD_INCOMPLETE',
      ),
    );
    expect(await storage.head(key)).toBeNull();
    expect(await temporaryFiles()).toEqual([]);
  });
});

describe('signed object URLs with S3 storage', () => {
  let database: TestDatabase;
  let server: ObjectUrlApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateDatabase(database.ownerUrl, captureLogger([], 'silent'));
    // The client is never called, because the routes check the storage kind first.
    const s3 = new S3ObjectStorage({
      client: new S3Client({
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' },
      }),
      bucket: 'peytonix-evidence',
      kmsKeyId: 'alias/peytonix-evidence',
    });
    server = await startObjectUrlApp(database, async () => s3);
  });
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  it.each(['GET', 'PUT'] as const)('returns 404 to %s', async (method) => {
    const response = await server.app.inject({
      method,
      url: `${OBJECT_URL_PATH}evidence/e1/v1?expires=1&signature=x`,
      headers: { 'content-type': 'application/pdf' },
      ...(method === 'PUT' ? { payload: Buffer.from('x') } : {}),
    });

    expectProblem(response, 404, 'ROUTE_NOT_FOUND');
  });
});

describe('signed object URLs in the full app', () => {
  let database: TestDatabase;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database);
  });
  afterAll(async () => {
    await testApp?.close();
    await database?.drop();
  });

  it('serves the URLs of the configured storage', async () => {
    const storage = await testApp.services.storage();
    const body = Buffer.from('wired through the services');
    const uploadUrl = await storage.signedUrl('evidence/app/1', {
      method: 'PUT',
      expiresInSeconds: 60,
      contentType: 'text/plain',
      contentLength: body.length,
      sha256: sha256Of(body),
    });

    const stored = await testApp.app.inject({
      method: 'PUT',
      url: requestTarget(uploadUrl.url),
      headers: uploadUrl.headers,
      payload: body,
    });
    const downloadUrl = await storage.signedUrl('evidence/app/1', {
      method: 'GET',
      expiresInSeconds: 60,
    });
    const response = await testApp.app.inject({
      method: 'GET',
      url: requestTarget(downloadUrl.url),
    });

    expect(stored.statusCode).toBe(200);
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('wired through the services');
  });
});
