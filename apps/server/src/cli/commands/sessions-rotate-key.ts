import { openRuntime } from '../../runtime.ts';
import { prepareCommand } from '../cli-context.ts';
import { type CliIo, EXIT, printResult } from '../cli-io.ts';

interface RotateKeyOptions {
  dataDir?: string;
  json?: boolean;
}

/**
 * Create a new access-token signing key. Servers sign with it once they
 * reload their key set (within a minute), and keep accepting tokens of the
 * old key until those tokens have expired.
 */
export async function runSessionsRotateKey(io: CliIo, options: RotateKeyOptions): Promise<number> {
  const { config, logger } = prepareCommand(io, options, false);
  const runtime = await openRuntime(config, logger, {
    command: 'sessions rotate-key',
    exclusive: false,
    migrate: false,
  });
  try {
    const kid = await runtime.services.auth.keyRing.rotate();
    await runtime.services.securityEvents.record({
      actor: { type: 'system', channel: 'cli' },
      action: 'session.signing_key_rotated',
      outcome: 'success',
      target: { type: 'signing_key', id: kid },
    });
    printResult(io, options.json === true, { kid }, [
      `New access-token signing key ${kid}.`,
      'Servers sign with it within a minute; tokens signed with older keys stay valid until they expire.',
    ]);
    return EXIT.ok;
  } finally {
    await runtime.close();
  }
}
