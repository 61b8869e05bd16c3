import pg from 'pg';
import { openDatabaseTarget } from '../../platform/db/database-target.ts';
import { readMigrationFiles, readMigrationStatus } from '../../platform/db/migrations.ts';
import { migrateDatabase } from '../../runtime.ts';
import { prepareCommand } from '../cli-context.ts';
import { type CliIo, CommandFailure, EXIT, printResult } from '../cli-io.ts';

interface MigrateOptions {
  dataDir?: string;
  check?: boolean;
  json?: boolean;
}

async function reportStatus(io: CliIo, ownerUrl: string, json: boolean): Promise<number> {
  const files = readMigrationFiles();
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const status = await readMigrationStatus(client, files);
    const current = status.pending.length === 0 && status.mismatched.length === 0;
    printResult(
      io,
      json,
      {
        current,
        applied: status.applied.map((record) => record.version),
        pending: status.pending.map((file) => file.fileName),
        mismatched: status.mismatched,
      },
      [
        `applied: ${status.applied.length}, pending: ${status.pending.length}, edited or missing: ${status.mismatched.length}`,
        ...status.pending.map((file) => `pending ${file.fileName}`),
        ...status.mismatched.map((item) => `${item.problem} ${item.version} ${item.name}`),
      ],
    );
    return current ? EXIT.ok : EXIT.failed;
  } finally {
    await client.end();
  }
}

/** Apply pending migrations, or with --check only report whether any are pending. */
export async function runMigrate(io: CliIo, options: MigrateOptions): Promise<number> {
  const { config, logger } = prepareCommand(io, options, false);
  const json = options.json === true;
  const target = await openDatabaseTarget(config, logger, { command: 'migrate', exclusive: false });
  try {
    if (options.check) {
      return await reportStatus(io, target.ownerUrl, json);
    }

    const applied = await migrateDatabase(target.ownerUrl, logger).catch((error: unknown) => {
      throw new CommandFailure(
        'MIGRATION_FAILED',
        error instanceof Error ? error.message : String(error),
      );
    });
    printResult(
      io,
      json,
      { applied: applied.map((file) => file.fileName) },
      applied.length === 0
        ? ['No pending migrations.']
        : applied.map((file) => `applied ${file.fileName}`),
    );
    return EXIT.ok;
  } finally {
    await target.release();
  }
}
