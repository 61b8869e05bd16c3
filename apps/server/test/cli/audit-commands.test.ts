import { chmodSync, existsSync, mkdtempSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_KEY_FILE } from '../../src/platform/keys/key-provider.ts';
import { runCliCaptured } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';

describe('peytonix audit', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let dataDir: string;
  const run = (args: string[], extra: Record<string, string> = {}) =>
    runCliCaptured(args, { ...env, ...extra });

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(path.join(tmpdir(), 'peytonix-cli-audit-'));
    env = {
      DATABASE_URL: database.ownerUrl,
      PEYTONIX_APP_DATABASE_URL: database.appUrl,
      PEYTONIX_DATA_DIR: dataDir,
      PEYTONIX_AS: ADMIN,
    };
    expect((await run(['migrate'])).code).toBe(0);
    expect((await run(['admin', 'create', '--email', ADMIN])).code).toBe(0);
    for (const code of ['NORTH', 'SOUTH']) {
      const created = await run([
        'entities',
        'create',
        '--parent',
        'ORG',
        '--type',
        'business_unit',
        '--code',
        code,
        '--name',
        code,
      ]);
      expect(created.code).toBe(0);
    }
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('exports a file that verifies offline', async () => {
    const checkpoint = await run(['audit', 'checkpoint', '--json']);
    const verified = await run(['audit', 'verify', '--json']);
    const publicKey = await run(['audit', 'public-key']);
    const keyFile = path.join(dataDir, 'public.pem');
    writeFileSync(keyFile, publicKey.stdout);
    const out = path.join(dataDir, 'trail.jsonl');
    const exported = await run(['audit', 'export', '--out', out]);
    const offline = await runCliCaptured(
      ['audit', 'verify', '--export', out, '--public-key', keyFile, '--json'],
      {},
    );

    expect(checkpoint.code).toBe(0);
    expect(JSON.parse(checkpoint.stdout).checkpoint.treeSize).toBeGreaterThan(0);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ intact: true, damage: null });
    expect(publicKey.stdout).toMatch(
      /^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/,
    );
    expect(exported.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(offline.code).toBe(0);
    expect(JSON.parse(offline.stdout)).toMatchObject({ intact: true });
  });

  it('lists checkpoints in the trusted-checkpoint form', async () => {
    const listed = await run(['audit', 'checkpoints']);
    const file = path.join(dataDir, 'kept.jsonl');
    writeFileSync(file, listed.stdout);

    const verified = await run(['audit', 'verify', '--trusted-checkpoint', file, '--json']);

    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n').length).toBeGreaterThan(0);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout).signedSize).toBeGreaterThan(0);
  });

  it('exits 1 naming the first damaged event', async () => {
    const keyFile = path.join(dataDir, 'public-2.pem');
    writeFileSync(keyFile, (await run(['audit', 'public-key'])).stdout);
    const out = path.join(dataDir, 'damaged.jsonl');
    await run(['audit', 'export', '--out', out]);
    const lines = (await readFile(out, 'utf8')).split('\n');
    lines[2] = (lines[2] ?? '').replace('"channel":"cli"', '"channel":"api"');
    writeFileSync(out, lines.join('\n'));

    const result = await runCliCaptured(
      ['audit', 'verify', '--export', out, '--public-key', keyFile],
      {},
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('damaged at event 3 (changed_event)');
  });

  it('rejects bad verify and export arguments', async () => {
    const out = path.join(dataDir, 'trail.jsonl');

    const noKey = await runCliCaptured(['audit', 'verify', '--export', out], {});
    const missingKey = await runCliCaptured(
      ['audit', 'verify', '--export', out, '--public-key', '/nonexistent.pem'],
      {},
    );
    const overwrite = await run(['audit', 'export', '--out', out]);

    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('--export needs --public-key');
    expect(missingKey.code).toBe(2);
    const privateKeyFile = path.join(dataDir, 'keys', CHECKPOINT_KEY_FILE);
    const privateKey = await runCliCaptured(
      ['audit', 'verify', '--export', out, '--public-key', privateKeyFile],
      {},
    );
    expect(privateKey.code).toBe(2);
    expect(privateKey.stderr).toContain('holds a private key');
    expect(missingKey.stderr).toContain('/nonexistent.pem');
    expect(overwrite.code).toBe(1);
    expect(overwrite.stderr).toContain('already exists');
  });

  it('searches events and returns proofs', async () => {
    const events = await run(['audit', 'events', '--action', 'entity.created', '--json']);
    const inclusion = await run(['audit', 'proof', 'inclusion', '--seq', '1', '--json']);
    const badLimit = await run(['audit', 'events', '--limit', '0']);
    const noActor = await run(['audit', 'events'], { PEYTONIX_AS: '' });

    expect(events.code).toBe(0);
    expect(
      JSON.parse(events.stdout).events.map((event: { action: string }) => event.action),
    ).toEqual(Array(3).fill('entity.created'));
    expect(inclusion.code).toBe(0);
    expect(JSON.parse(inclusion.stdout)).toMatchObject({ seq: 1, leafIndex: 0 });
    expect(badLimit.code).toBe(2);
    expect(badLimit.stderr).toContain('--limit');
    expect(noActor.code).toBe(1);
  });

  it('checks a trusted checkpoint saved as JSON', async () => {
    const saved = await run(['audit', 'checkpoint', '--json']);
    const trustedFile = path.join(dataDir, 'trusted.json');
    writeFileSync(trustedFile, saved.stdout);
    const treeSize = JSON.parse(saved.stdout).checkpoint.treeSize as number;

    const intact = await run(['audit', 'verify', '--trusted-checkpoint', trustedFile, '--json']);
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    try {
      await client.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
      await client.query('ALTER TABLE audit_checkpoints DISABLE TRIGGER USER');
      await client.query('ALTER TABLE audit_chain_head DISABLE TRIGGER USER');
      await client.query('DELETE FROM audit_checkpoints');
      await client.query('DELETE FROM audit_events WHERE seq >= $1', [treeSize]);
      await client.query(
        'UPDATE audit_chain_head SET last_seq = $1, last_hash = (SELECT hash FROM audit_events WHERE seq = $1)',
        [treeSize - 1],
      );
      await client.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
      await client.query('ALTER TABLE audit_checkpoints ENABLE TRIGGER USER');
      await client.query('ALTER TABLE audit_chain_head ENABLE TRIGGER USER');
    } finally {
      await client.end();
    }
    const untrusted = await run(['audit', 'verify', '--json']);
    const trusted = await run(['audit', 'verify', '--trusted-checkpoint', trustedFile, '--json']);

    expect(intact.code).toBe(0);
    expect(untrusted.code).toBe(0);
    expect(trusted.code).toBe(1);
    expect(JSON.parse(trusted.stdout).damage).toMatchObject({ kind: 'truncated', seq: treeSize });
  });

  it('reports a damaged database with exit 1', async () => {
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    try {
      await client.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
      await client.query("UPDATE audit_events SET target_type = 'tampered' WHERE seq = 2");
      await client.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
    } finally {
      await client.end();
    }

    const result = await run(['audit', 'verify', '--json']);

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout).damage).toMatchObject({ kind: 'changed_event', seq: 2 });
  });

  it('never replaces a lost key once checkpoints exist', async () => {
    const keyFile = path.join(dataDir, 'keys', CHECKPOINT_KEY_FILE);
    const aside = `${keyFile}.aside`;
    // An earlier test removed the checkpoints, so record one as if signed.
    const client = new pg.Client({ connectionString: database.ownerUrl });
    await client.connect();
    await client
      .query(
        "INSERT INTO audit_checkpoints (tree_size, root_hash, signed_at, key_id, signature, frontier) VALUES (1, sha256(''), now(), 'k', '\\x00', '{}') ON CONFLICT DO NOTHING",
      )
      .finally(() => client.end());
    renameSync(keyFile, aside);
    try {
      const result = await run(['audit', 'checkpoint']);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain('restore it from backup');
      expect(existsSync(keyFile)).toBe(false);
    } finally {
      renameSync(aside, keyFile);
    }
  });

  it('rejects a readable checkpoint key file', async () => {
    const keyFile = path.join(dataDir, 'keys', CHECKPOINT_KEY_FILE);
    chmodSync(keyFile, 0o644);
    try {
      const result = await run(['audit', 'public-key']);

      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`chmod 600 ${keyFile}`);
    } finally {
      chmodSync(keyFile, 0o600);
    }
  });
});
