import { createCheckpoint } from '../../../modules/audit-trail/checkpoints/create-checkpoint.ts';
import { openCheckpointKey } from '../../../platform/keys/key-provider.ts';
import type { SigningKey } from '../../../platform/keys/signing-key.ts';
import { openRuntime } from '../../../runtime.ts';
import { prepareCommand } from '../../cli-context.ts';
import { type CliIo, EXIT, printResult } from '../../cli-io.ts';

interface KeyOptions {
  dataDir?: string;
  json?: boolean;
}

/** Print the checkpoint verification key, PEM, for outside verifiers. */
export async function runAuditPublicKey(io: CliIo, options: KeyOptions): Promise<number> {
  const { config, logger } = prepareCommand(io, options, false);

  // A local key is a file; a KMS-protected key is a database row.
  let key: SigningKey;
  if (config.keys.kind === 'local') {
    key = await openCheckpointKey(config, { create: false });
  } else {
    const runtime = await openRuntime(config, logger, {
      command: 'audit public-key',
      exclusive: false,
      migrate: false,
    });
    try {
      key = await openCheckpointKey(config, { create: false, db: runtime.database.db });
    } finally {
      await runtime.close();
    }
  }

  if (options.json === true) {
    printResult(
      io,
      true,
      { algorithm: 'Ed25519', keyId: key.keyId, publicKeyPem: key.publicKeyPem },
      [],
    );
  } else {
    io.stdout.write(key.publicKeyPem);
  }
  return EXIT.ok;
}

/** Sign a checkpoint over every event now, instead of waiting for the schedule. */
export async function runAuditCheckpoint(io: CliIo, options: KeyOptions): Promise<number> {
  const { config, logger } = prepareCommand(io, options, false);
  const runtime = await openRuntime(config, logger, {
    command: 'audit checkpoint',
    exclusive: false,
    migrate: false,
  });
  try {
    const key = await openCheckpointKey(config, { create: true, db: runtime.database.db });
    const created = await createCheckpoint(runtime.database.db, key);
    if (created === null) {
      printResult(io, options.json === true, { checkpoint: null }, [
        'No checkpoint signed: every event is already covered, or another process is signing one.',
      ]);
      return EXIT.ok;
    }
    const { checkpoint, signature } = created;
    printResult(io, options.json === true, { checkpoint, signature }, [
      `Signed checkpoint at tree size ${checkpoint.treeSize}, root ${checkpoint.rootHash}.`,
    ]);
    return EXIT.ok;
  } finally {
    await runtime.close();
  }
}
