import type { Actor } from '../modules/identity/actor.ts';
import { AppError } from '../platform/http/app-error.ts';
import { openRuntime, type Runtime } from '../runtime.ts';
import { prepareCommand } from './cli-context.ts';
import type { CliIo } from './cli-io.ts';

export interface ActingOptions {
  as?: string;
  dataDir?: string;
  json?: boolean;
}

function actingEmail(io: CliIo, options: ActingOptions): string {
  const email = options.as ?? io.env.PEYTONIX_AS;
  if (!email) {
    throw new AppError('UNAUTHENTICATED', {
      detail: 'This command acts as a user. Pass --as EMAIL or set PEYTONIX_AS.',
    });
  }
  return email;
}

/** Open the database, resolve the acting user, and run `work` with that user's grants. */
export async function withActingRuntime<T>(
  io: CliIo,
  options: ActingOptions,
  command: string,
  work: (runtime: Runtime, actor: Actor) => Promise<T>,
): Promise<T> {
  const email = actingEmail(io, options);
  const { config, logger } = prepareCommand(io, options, false);
  const runtime = await openRuntime(config, logger, { command, exclusive: false, migrate: false });
  try {
    const actor = await runtime.services.identity.resolveCliActor(email);
    return await work(runtime, actor);
  } finally {
    await runtime.close();
  }
}
