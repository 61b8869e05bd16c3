import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;

// Return bigint (int8) columns as strings, not lossy numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => value);

export interface DatabaseHandle {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * Open the application pool. Every connection gets a statement timeout, so
 * a stuck query cannot hold a request forever, and a short connection
 * timeout, so an unreachable database turns into a 503 quickly.
 */
export function openDatabase(options: {
  url: string;
  poolMax: number;
  statementTimeoutMs: number;
  applicationName: string;
  logger: Logger;
}): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    application_name: options.applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs,
    idle_in_transaction_session_timeout: options.statementTimeoutMs * 2,
  });
  // An idle client that loses its server emits 'error' on the pool. Without
  // a listener Node would crash the process; the next query reports it.
  // Only the message and code are logged: pg attaches the whole client to
  // such errors, and the client carries the backend's cancel key.
  pool.on('error', (error) => {
    const code = (error as { code?: unknown }).code;
    options.logger.warn({ error: error.message, code }, 'idle database connection failed');
  });
  // A checked-out client between queries emits 'error' on itself, not on
  // the pool: for example when PostgreSQL ends a transaction that stayed
  // idle past idle_in_transaction_session_timeout while a slow reader held
  // it. Unhandled, that error would end the process; logged here, the
  // client's next query fails and its caller handles that.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      const code = (error as { code?: unknown }).code;
      options.logger.warn({ error: error.message, code }, 'database connection in use failed');
    });
  });

  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
