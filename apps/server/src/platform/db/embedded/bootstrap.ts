import pg from 'pg';
import { APP_ROLE } from '../../config/config.ts';
import type { EmbeddedCredentials } from './credentials.ts';

export const EMBEDDED_DATABASE = 'peytonix';
export const EMBEDDED_OWNER_ROLE = 'peytonix_owner';

export function embeddedUrl(port: number, user: string, password: string, database: string) {
  const url = new URL(`postgres://127.0.0.1:${port}/${database}`);
  url.username = user;
  url.password = password;
  return url.toString();
}

/**
 * Create the owner and application roles and the database on the embedded
 * cluster, and reset their passwords to the ones in credentials.json. Runs
 * as the cluster's superuser on every start, so it is idempotent.
 */
export async function bootstrapEmbeddedDatabase(port: number, credentials: EmbeddedCredentials) {
  const client = new pg.Client({
    connectionString: embeddedUrl(port, 'postgres', credentials.superuserPassword, 'postgres'),
  });
  await client.connect();
  try {
    const roles: [string, string][] = [
      [EMBEDDED_OWNER_ROLE, credentials.ownerPassword],
      [APP_ROLE, credentials.appPassword],
    ];
    for (const [role, password] of roles) {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      const verb = exists.rowCount === 0 ? 'CREATE' : 'ALTER';
      await client.query(
        `${verb} ROLE ${client.escapeIdentifier(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${client.escapeLiteral(password)}`,
      );
    }

    const database = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      EMBEDDED_DATABASE,
    ]);
    if (database.rowCount === 0) {
      await client.query(
        `CREATE DATABASE ${EMBEDDED_DATABASE} OWNER ${EMBEDDED_OWNER_ROLE} ENCODING 'UTF8' TEMPLATE template0`,
      );
    }
  } finally {
    await client.end();
  }
}
