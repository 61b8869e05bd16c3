import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyMigrations,
  MIGRATIONS_DIR,
  MigrationError,
  readMigrationFiles,
} from '../../src/platform/db/migrations.ts';
import { assertNoEditedMigrations } from '../../src/runtime.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const logger = pino({ level: 'silent' });

async function tableNames(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    return result.rows.map((row) => row.tablename);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('apply to an empty database, then do nothing', async () => {
    const files = readMigrationFiles();

    const first = await applyMigrations(database.ownerUrl, logger);
    expect(first.map((file) => file.version)).toEqual(files.map((file) => file.version));
    expect(await tableNames(database.ownerUrl)).toEqual(
      expect.arrayContaining([
        'entities',
        'entity_closure',
        'users',
        'audit_events',
        'peytonix_migrations',
      ]),
    );

    const second = await applyMigrations(database.ownerUrl, logger);
    expect(second).toEqual([]);
  });

  it('run one at a time when started concurrently', async () => {
    const other = await createTestDatabase();
    try {
      const results = await Promise.all([
        applyMigrations(other.ownerUrl, logger),
        applyMigrations(other.ownerUrl, logger),
      ]);
      const total = results[0].length + results[1].length;
      expect(total).toBe(readMigrationFiles().length);
    } finally {
      await other.drop();
    }
  });

  it('refuse an edited applied migration', async () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'peytonix-migrations-'));
    cpSync(MIGRATIONS_DIR, directory, { recursive: true });
    const edited = path.join(directory, '0002_entities.sql');
    writeFileSync(edited, `${readMigrationFiles(directory)[1]?.sql}\n-- edited\n`);
    const editedFiles = readMigrationFiles(directory);

    await expect(applyMigrations(database.ownerUrl, logger, editedFiles)).rejects.toThrow(
      /0002_entities was edited after it was applied/,
    );
    await expect(assertNoEditedMigrations(database.ownerUrl, editedFiles)).rejects.toBeInstanceOf(
      MigrationError,
    );
  });

  it('refuse an applied migration whose file is missing', async () => {
    const files = readMigrationFiles().slice(0, 3);

    await expect(applyMigrations(database.ownerUrl, logger, files)).rejects.toThrow(
      /is applied but its file is missing/,
    );
  });

  it('reject a misnamed or out-of-order file', () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'peytonix-migrations-'));
    writeFileSync(path.join(directory, '0001_first.sql'), 'SELECT 1;');
    writeFileSync(path.join(directory, '0003_third.sql'), 'SELECT 1;');
    expect(() => readMigrationFiles(directory)).toThrow(/but 2 was expected/);

    writeFileSync(path.join(directory, '2_Bad-Name.sql'), 'SELECT 1;');
    expect(() => readMigrationFiles(directory)).toThrow(/file name 2_Bad-Name.sql is invalid/);
  });

  it('roll back a failing migration completely', async () => {
    const other = await createTestDatabase();
    try {
      const directory = mkdtempSync(path.join(os.tmpdir(), 'peytonix-migrations-'));
      cpSync(MIGRATIONS_DIR, directory, { recursive: true });
      const next = String(readMigrationFiles(directory).length + 1).padStart(4, '0');
      writeFileSync(
        path.join(directory, `${next}_broken.sql`),
        'CREATE TABLE half_done (id int); SELECT no_such_function();',
      );

      await expect(
        applyMigrations(other.ownerUrl, logger, readMigrationFiles(directory)),
      ).rejects.toThrow(/_broken.sql failed and was rolled back/);
      expect(await tableNames(other.ownerUrl)).not.toContain('half_done');
      expect(await applyMigrations(other.ownerUrl, logger)).toEqual([]);
    } finally {
      await other.drop();
    }
  });
});
