import { createEntityInputSchema } from '@peytonix/contracts';
import { AppError } from '../../platform/http/app-error.ts';
import { type ActingOptions, withActingRuntime } from '../acting-runtime.ts';
import { type CliIo, EXIT, printResult } from '../cli-io.ts';

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
