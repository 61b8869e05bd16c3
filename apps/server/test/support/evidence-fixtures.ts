import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { TestApp } from './test-app.ts';

export const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Build a PDF-like file: a real PDF header, then padding to `size` bytes. */
export function pdfBytes(text: string, size = 2048): Buffer {
  const head = Buffer.from(`%PDF-1.7\n% ${text}\n`, 'latin1');
  const padding = Buffer.alloc(Math.max(0, size - head.length - 6), 0x20);
  return Buffer.concat([head, padding, Buffer.from('\n%%EOF', 'latin1')]);
}

/** A signed request to storage, as the evidence API returns it. */
export interface StorageRequest {
  method: 'GET' | 'PUT';
  url: string;
  headers: Record<string, string>;
}

/** The response of storage to a signed request. */
export interface StorageResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Send a signed request the way a browser would: to the app itself for
 * the local adapter (through inject, since the URL names the app's origin),
 * or over HTTP to the S3-compatible server.
 */
export async function sendStorageRequest(
  testApp: TestApp,
  request: StorageRequest,
  body?: Buffer,
): Promise<StorageResponse> {
  const url = new URL(request.url);
  if (url.pathname.startsWith('/api/v1/storage/objects/')) {
    const response = await testApp.app.inject({
      method: request.method,
      url: `${url.pathname}${url.search}`,
      headers: request.headers,
      ...(body === undefined ? {} : { payload: body }),
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (typeof value === 'string') headers[name] = value;
    }
    return { status: response.statusCode, headers, body: response.rawPayload };
  }

  const response = await fetch(url, {
    method: request.method,
    headers: request.headers,
    ...(body === undefined ? {} : { body }),
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return {
    status: response.status,
    headers,
    body: Buffer.from(await response.arrayBuffer()),
  };
}

/** s3rver on a free loopback port with one bucket, in a temporary directory. */
export interface TestS3 {
  endpoint: string;
  bucket: string;
  directory: string;
  close(): Promise<void>;
}

export async function startTestS3(bucket = 'peytonix-evidence'): Promise<TestS3> {
  const directory = mkdtempSync(path.join(tmpdir(), 'peytonix-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    directory,
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
