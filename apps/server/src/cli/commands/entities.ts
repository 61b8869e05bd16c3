import { createEntityInputSchema } from '@peytonix/contracts';
import type { Actor } from '../../modules/identity/actor.ts';
import { AppError } from '../../platform/http/app-error.ts';
import { openRuntime, type Runtime } from '../../runtime.ts';
import { prepareCommand } from '../cli-context.ts';
import { type CliIo, EXIT, printResult } from '../cli-io.ts';

interface ActingOptions {
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
async function withActingRuntime<T>(
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

export async function runEntitiesList(io: CliIo, options: ActingOptions): Promise<number> {
  return await withActingRuntime(io, options, 'entities list', async (runtime, actor) => {
    const entities = await runtime.services.entities.listInScope(actor);
    printResult(
      io,
      options.json === true,
      { entities },
      entities.length === 0
        ? ['No entities are in your scope.']
        : entities.map(
            (entity) =>
              `${'  '.repeat(entity.depth)}${entity.code}  ${entity.name}  (${entity.type})`,
          ),
    );
    return EXIT.ok;
  });
}

interface CreateOptions extends ActingOptions {
  parent: string;
  type: string;
  code: string;
  name: string;
}

export async function runEntitiesCreate(io: CliIo, options: CreateOptions): Promise<number> {
  const parsed = createEntityInputSchema.safeParse({
    parentCode: options.parent,
    type: options.type,
    code: options.code,
    name: options.name,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError('VALIDATION_FAILED', {
      detail: `Invalid --${String(issue?.path[0] ?? 'value').replace('parentCode', 'parent')}: ${issue?.message ?? 'invalid value'}.`,
    });
  }

  return await withActingRuntime(io, options, 'entities create', async (runtime, actor) => {
    const entity = await runtime.services.entities.create(actor, parsed.data, {
      correlationId: `cli-${process.pid}`,
    });
    printResult(io, options.json === true, { entity }, [
      `Created ${entity.type} ${entity.code} (${entity.id}).`,
    ]);
    return EXIT.ok;
  });
}
