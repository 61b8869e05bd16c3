import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { TEST_APP_PASSWORD } from './global-setup.ts';

export interface TestDatabase {
  name: string;
  /** Owner connection: runs migrations. */
  ownerUrl: string;
  /** Application-role connection, as the server uses at run time. */
  appUrl: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string, user?: string, password?: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  if (user !== undefined) {
    parsed.username = user;
    parsed.password = password ?? '';
  }
  return parsed.toString();
}

/** Create a fresh, empty database for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `peytonix_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`);
  } finally {
    await admin.end();
  }

  return {
    name,
    ownerUrl: withDatabase(adminUrl, name),
    appUrl: withDatabase(adminUrl, name, 'peytonix_app', TEST_APP_PASSWORD),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
