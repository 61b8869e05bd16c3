import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkEvidenceObject,
  type DeclaredObject,
} from '../../../src/modules/evidence/evidence-check.ts';
import { loadConfig } from '../../../src/platform/config/load-config.ts';
import { openDataKeyProvider } from '../../../src/platform/keys/key-provider.ts';
import {
  createClamdScanner,
  createUnconfiguredScanner,
} from '../../../src/platform/scanning/clamd-client.ts';
import {
  type LocalObjectStorage,
  openLocalObjectStorage,
} from '../../../src/platform/storage/local-object-storage.ts';
import { clamdInstalled, EICAR, startTestClamd, type TestClamd } from '../../support/clamd.ts';

const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const runClamdTests = clamdInstalled || process.env.CI === 'true';

/** A PDF-like file of `size` bytes that no signature matches. */
const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);

describe.skipIf(!runClamdTests)('evidence check', () => {
  let directory: string;
  let storage: LocalObjectStorage;
  let clamd: TestClamd;
  let limited: TestClamd;
  let keyCount = 0;

  beforeAll(async () => {
    if (!clamdInstalled) throw new Error('clamd is not installed; .ci/run installs clamav-daemon');
    directory = mkdtempSync(path.join(tmpdir(), 'peytonix-evidence-check-'));
    const config = loadConfig({ PEYTONIX_DATA_DIR: directory });
    const provider = await openDataKeyProvider(config, { create: true });
    storage = await openLocalObjectStorage({
      dataDir: directory,
      dataKeys: async () => provider,
      publicOrigin: 'http://127.0.0.1:3000',
    });
    [clamd, limited] = await Promise.all([
      startTestClamd(),
      startTestClamd({ streamMaxLength: '1M' }),
    ]);
  }, 120_000);

  afterAll(async () => {
    await clamd?.close();
    await limited?.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  const scanner = () => createClamdScanner({ address: clamd.address, timeoutMs: 10_000 });

  /** Store `body` under a new key and declare `declared` for it. */
  const stored = async (
    body: Buffer,
    declared: Partial<DeclaredObject> = {},
  ): Promise<DeclaredObject> => {
    keyCount += 1;
    const objectKey = `evidence/check/${keyCount}`;
    await storage.put(objectKey, body, { contentType: 'application/pdf' });
    return {
      objectKey,
      contentType: 'application/pdf',
      size: body.length,
      sha256: sha256Of(body),
      version: null,
      ...declared,
    };
  };

  it('makes a matching clean file available', async () => {
    const declared = await stored(pdf(100_000));

    const outcome = await checkEvidenceObject(storage, scanner(), declared);

    expect(outcome).toMatchObject({ state: 'available', scanned: true });
  });

  it('reports no upload when the object is missing', async () => {
    const outcome = await checkEvidenceObject(storage, scanner(), {
      objectKey: 'evidence/check/missing',
      contentType: 'application/pdf',
      size: 10,
      sha256: 'ab'.repeat(32),
      version: null,
    });

    expect(outcome).toEqual({ state: 'not_uploaded' });
  });

  it('rejects a size that differs from the declaration', async () => {
    const body = pdf(5_000);
    const declared = await stored(body, { size: 4_000 });

    const outcome = await checkEvidenceObject(storage, scanner(), declared);

    expect(outcome).toMatchObject({ state: 'rejected', code: 'SIZE_MISMATCH', scanned: false });
  });

  it('rejects a SHA-256 that differs from the declaration', async () => {
    const declared = await stored(pdf(5_000), { sha256: 'cd'.repeat(32) });

    const outcome = await checkEvidenceObject(storage, scanner(), declared);

    expect(outcome).toMatchObject({ state: 'rejected', code: 'HASH_MISMATCH' });
  });

  it('quarantines a match even when the bytes also differ', async () => {
    const declared = await stored(EICAR, { sha256: 'ef'.repeat(32), contentType: 'text/plain' });

    const outcome = await checkEvidenceObject(storage, scanner(), declared);

    expect(outcome).toMatchObject({
      state: 'quarantined',
      mismatch: expect.stringMatching(/SHA-256/),
    });
  });

  it('leaves a file over the clamd stream limit unscanned, not clean', async () => {
    const declared = await stored(pdf(2 * 1024 * 1024));
    const limitedScanner = createClamdScanner({ address: limited.address, timeoutMs: 10_000 });

    const outcome = await checkEvidenceObject(storage, limitedScanner, declared);

    expect(outcome).toMatchObject({
      state: 'scan_pending',
      error: expect.stringMatching(/size_limit/),
    });
  });

  it('leaves a file unscanned without a configured scanner', async () => {
    const declared = await stored(pdf(1_000));

    const outcome = await checkEvidenceObject(storage, createUnconfiguredScanner(), declared);

    expect(outcome).toMatchObject({ state: 'scan_pending' });
  });

  it('leaves a file unscanned when clamd does not answer in time', async () => {
    const declared = await stored(pdf(1_000));
    // A listening socket that never replies plays the part of a hung clamd.
    const { createServer } = await import('node:net');
    const silent = createServer((socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;

    try {
      const hung = createClamdScanner({ address: { host: '127.0.0.1', port }, timeoutMs: 300 });
      const outcome = await checkEvidenceObject(storage, hung, declared);

      expect(outcome).toMatchObject({
        state: 'scan_pending',
        error: expect.stringMatching(/timeout/),
      });
    } finally {
      silent.close();
    }
  });

  it('rejects an object replaced after an earlier check', async () => {
    const original = pdf(2_000);
    const declared = await stored(original);
    const first = await checkEvidenceObject(storage, scanner(), declared);
    if (first.state !== 'available') throw new Error(`first check ended ${first.state}`);
    await storage.delete(declared.objectKey);
    await storage.put(declared.objectKey, pdf(2_000), { contentType: 'application/pdf' });

    const outcome = await checkEvidenceObject(storage, scanner(), {
      ...declared,
      version: first.object,
    });

    expect(outcome).toMatchObject({ state: 'rejected', code: 'OBJECT_CHANGED' });
  });

  it('rejects a PDF declared as an image', async () => {
    const declared = await stored(pdf(2_000), { contentType: 'image/png' });

    const outcome = await checkEvidenceObject(storage, scanner(), declared);

    expect(outcome).toMatchObject({ state: 'rejected', code: 'CONTENT_TYPE_MISMATCH' });
  });
});
