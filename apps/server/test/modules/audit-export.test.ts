import type { KeyObject } from 'node:crypto';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash } from '../../src/modules/audit-trail/chain/audit-record.ts';
import {
  checkpointMessage,
  type SignedCheckpoint,
} from '../../src/modules/audit-trail/checkpoints/checkpoint-body.ts';
import { createCheckpoint } from '../../src/modules/audit-trail/checkpoints/create-checkpoint.ts';
import { MAX_LINE_BYTES } from '../../src/modules/audit-trail/export/read-lines.ts';
import { verifyExport } from '../../src/modules/audit-trail/export/verify-export.ts';
import { writeExport } from '../../src/modules/audit-trail/export/write-export.ts';
import { canonicalize } from '../../src/platform/json/jcs.ts';
import { readEd25519PublicKey, type SigningKey } from '../../src/platform/keys/signing-key.ts';
import { appendEvents, newSigningKey, openAuditDatabase } from '../support/audit-fixtures.ts';

// One export of 30 events with checkpoints at 10 and 20; each test damages
// a copy of its lines and verifies the copy with no database.
describe('offline verification of an export', () => {
  let lines: string[];
  let key: SigningKey;
  let publicKey: KeyObject;
  let close: () => Promise<void>;
  const directory = mkdtempSync(path.join(tmpdir(), 'peytonix-export-'));
  let fileCount = 0;

  beforeAll(async () => {
    const opened = await openAuditDatabase();
    close = opened.close;
    key = await newSigningKey();
    publicKey = readEd25519PublicKey(key.publicKeyPem);
    await appendEvents(opened.handle, 10);
    await createCheckpoint(opened.handle.db, key);
    await appendEvents(opened.handle, 10, 10);
    await createCheckpoint(opened.handle.db, key);
    await appendEvents(opened.handle, 10, 20);

    const file = path.join(directory, 'export.jsonl');
    const out = createWriteStream(file);
    await writeExport(opened.handle.db, out);
    out.end();
    await finished(out);
    lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
  });
  afterAll(async () => {
    await close();
  });

  async function verifyLines(
    changed: string[],
    withKey = publicKey,
    trusted: SignedCheckpoint[] = [],
  ) {
    fileCount += 1;
    const file = path.join(directory, `copy-${fileCount}.jsonl`);
    await writeFile(file, `${changed.join('\n')}\n`);
    return verifyExport(file, withKey, trusted);
  }

  /** Event n is on line n - 1; checkpoints follow the 30 events. */
  function edit(index: number, change: (line: string) => string): string[] {
    return lines.map((line, at) => (at === index ? change(line) : line));
  }

  it('verifies an untouched export', async () => {
    expect(lines).toHaveLength(32);
    expect(lines.slice(0, 30).every((line) => line.startsWith('{"hash":"'))).toBe(true);
    expect(lines.slice(30).every((line) => line.startsWith('{"checkpoint":'))).toBe(true);

    const report = await verifyLines(lines);

    expect(report).toMatchObject({ intact: true, events: 30, checkpoints: 2, signedSize: 20 });
  });

  it('finds one flipped byte inside an event', async () => {
    const damaged = edit(6, (line) => line.replace('"outcome":"success"', '"outcome":"succesS"'));

    expect((await verifyLines(damaged)).damage).toMatchObject({ kind: 'changed_event', seq: 7 });
  });

  it('finds a flipped hash byte', async () => {
    const damaged = edit(
      3,
      (line) => `${line.slice(0, 12)}${line[12] === 'a' ? 'b' : 'a'}${line.slice(13)}`,
    );

    expect((await verifyLines(damaged)).damage).toMatchObject({ kind: 'changed_event', seq: 4 });
  });

  it('finds a changed sequence number', async () => {
    const damaged = edit(14, (line) => line.replace('"seq":15,', '"seq":51,'));

    expect((await verifyLines(damaged)).damage).toMatchObject({ kind: 'changed_event', seq: 15 });
  });

  it('finds a byte flip that breaks the JSON', async () => {
    const damaged = edit(8, (line) => line.replace('"event":{', '"event":['));

    expect((await verifyLines(damaged)).damage).toMatchObject({ seq: 9 });
  });

  it('finds a dropped line', async () => {
    const damaged = lines.filter((_, at) => at !== 11);

    expect((await verifyLines(damaged)).damage).toMatchObject({ kind: 'deleted_event', seq: 12 });
  });

  it('finds two swapped lines', async () => {
    const damaged = [...lines];
    [damaged[4], damaged[8]] = [lines[8] ?? '', lines[4] ?? ''];

    expect((await verifyLines(damaged)).damage).toMatchObject({ kind: 'reordered_events', seq: 5 });
  });

  it('finds an inserted, rehashed line', async () => {
    const previous = JSON.parse(lines[13] ?? '') as {
      hash: string;
      event: Record<string, unknown>;
    };
    const forged = { ...previous.event, seq: 15, action: 'evidence.viewed' };
    const hash = chainHash(Buffer.from(previous.hash, 'hex'), canonicalize(forged));
    const damaged = [
      ...lines.slice(0, 14),
      `{"hash":"${hash.toString('hex')}","event":${canonicalize(forged)}}`,
      ...lines.slice(14),
    ];

    expect((await verifyLines(damaged)).damage).toMatchObject({ kind: 'inserted_event', seq: 15 });
  });

  it('finds a tail cut below the last checkpoint', async () => {
    const damaged = [...lines.slice(0, 17), ...lines.slice(30)];

    expect((await verifyLines(damaged)).damage).toMatchObject({ kind: 'truncated', seq: 18 });
  });

  it('finds a replaced checkpoint signature', async () => {
    const damaged = edit(31, (line) => {
      const signed = JSON.parse(line) as { checkpoint: Record<string, unknown>; signature: string };
      const signature = Buffer.from(signed.signature, 'base64');
      signature[5] = (signature[5] ?? 0) ^ 0x40;
      return canonicalize({ ...signed, signature: signature.toString('base64') });
    });

    expect((await verifyLines(damaged)).damage).toMatchObject({
      kind: 'bad_checkpoint_signature',
      seq: 20,
    });
  });

  it('ignores a key the export names for itself', async () => {
    // An attacker rewrites event 3, recomputes every hash and re-signs the
    // checkpoints with a key of their own, naming that key in the export.
    const attacker = await newSigningKey();
    let prev: Buffer = Buffer.alloc(32);
    const leaves: string[] = [];
    for (const line of lines.slice(0, 30)) {
      const parsed = JSON.parse(line) as { event: Record<string, unknown> };
      const event = parsed.event.seq === 3 ? { ...parsed.event, outcome: 'failure' } : parsed.event;
      prev = chainHash(prev, canonicalize(event));
      leaves.push(`{"hash":"${prev.toString('hex')}","event":${canonicalize(event)}}`);
    }
    const checkpoints = await Promise.all(
      lines.slice(30).map(async (line) => {
        const signed = JSON.parse(line) as { checkpoint: { keyId: string } };
        const body = { ...signed.checkpoint, keyId: attacker.keyId } as Parameters<
          typeof checkpointMessage
        >[0];
        const signature = await attacker.sign(checkpointMessage(body));
        return canonicalize({ checkpoint: body, signature: signature.toString('base64') });
      }),
    );

    const report = await verifyLines([...leaves, ...checkpoints]);

    expect(report.damage).toMatchObject({ kind: 'bad_checkpoint_signature', seq: 10 });
  });

  it('checks trusted checkpoints that the export lacks', async () => {
    const trusted = lines.slice(30).map((line) => JSON.parse(line) as SignedCheckpoint);
    const withoutCheckpoints = lines.slice(0, 30);
    const cut = lines.slice(0, 15);

    const intact = await verifyLines(withoutCheckpoints, publicKey, trusted);
    const truncated = await verifyLines(cut, publicKey, trusted);

    expect(intact).toMatchObject({ intact: true, checkpoints: 0, signedSize: 20 });
    expect(truncated.damage).toMatchObject({ kind: 'truncated', seq: 16 });
  });

  it('refuses every checkpoint under a wrong public key', async () => {
    const other = await newSigningKey();

    const report = await verifyLines(lines, readEd25519PublicKey(other.publicKeyPem));

    expect(report.damage).toMatchObject({ kind: 'bad_checkpoint_signature', seq: 10 });
  });

  it('rejects unsigned non-JSON event lines', async () => {
    const previous = JSON.parse(lines[28] ?? '') as { hash: string };
    const forged = '{this is not JSON,"seq":30,"targetId":null}';
    const hash = chainHash(Buffer.from(previous.hash, 'hex'), forged);
    const damaged = [
      ...lines.slice(0, 29),
      `{"hash":"${hash.toString('hex')}","event":${forged}}`,
      ...lines.slice(30),
    ];

    expect((await verifyLines(damaged)).damage).toMatchObject({
      kind: 'malformed_export',
      seq: 30,
    });
  });

  it('rejects a line longer than the maximum', async () => {
    const long = `{"hash":"${'0'.repeat(64)}","event":{"details":"${'x'.repeat(MAX_LINE_BYTES)}"}}`;
    const damaged = [...lines.slice(0, 5), long, ...lines.slice(5)];

    expect((await verifyLines(damaged)).damage).toMatchObject({ kind: 'malformed_export', seq: 6 });
  });

  it('refuses an event line after the checkpoints', async () => {
    const damaged = [...lines.slice(0, 29), ...lines.slice(30), lines[29] ?? ''];

    expect((await verifyLines(damaged)).damage).toMatchObject({
      kind: 'malformed_export',
      seq: 30,
    });
  });
});
