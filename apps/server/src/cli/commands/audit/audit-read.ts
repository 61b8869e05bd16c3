import { auditSearchQuerySchema } from '@peytonix/contracts';
import { toSearchFilters } from '../../../modules/audit-trail/audit-search.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import { type ActingOptions, withActingRuntime } from '../../acting-runtime.ts';
import { type CliIo, EXIT, printResult } from '../../cli-io.ts';

export interface EventsOptions extends ActingOptions {
  from?: string;
  to?: string;
  actor?: string;
  actorType?: string;
  action?: string;
  outcome?: string;
  targetType?: string;
  targetId?: string;
  entity?: string;
  limit?: string;
  cursor?: string;
}

const OPTION_NAMES: Record<string, string> = {
  actorId: 'actor',
  actorType: 'actor-type',
  targetType: 'target-type',
  targetId: 'target-id',
  entityId: 'entity',
};

function parseFilters(options: EventsOptions) {
  const parsed = auditSearchQuerySchema.safeParse({
    from: options.from,
    to: options.to,
    actorId: options.actor,
    actorType: options.actorType,
    action: options.action,
    outcome: options.outcome,
    targetType: options.targetType,
    targetId: options.targetId,
    entityId: options.entity,
    cursor: options.cursor,
    limit: options.limit,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'value');
    throw new AppError('VALIDATION_FAILED', {
      detail: `Invalid --${OPTION_NAMES[field] ?? field}: ${issue?.message ?? 'invalid value'}.`,
    });
  }

  return toSearchFilters(parsed.data, '--cursor');
}

export async function runAuditEvents(io: CliIo, options: EventsOptions): Promise<number> {
  const filters = parseFilters(options);

  return await withActingRuntime(io, options, 'audit events', async (runtime, actor) => {
    const page = await runtime.services.auditTrail.search(actor, filters, {
      correlationId: `cli-${process.pid}`,
    });
    const lines = page.events.map(
      (event) =>
        `${event.seq}  ${event.occurredAt}  ${event.action}  ${event.outcome}  ${event.actorType}:${event.actorId ?? event.onBehalfOf ?? '-'}  ${event.targetType ?? '-'}:${event.targetId ?? '-'}`,
    );
    if (lines.length === 0) lines.push('No events match.');
    if (page.nextCursor !== null) lines.push(`More events: --cursor ${page.nextCursor}`);
    printResult(io, options.json === true, page, lines);
    return EXIT.ok;
  });
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,14}$/.test(value)) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `Invalid --${name}: expected a positive whole number, got ${JSON.stringify(value)}.`,
    });
  }
  return Number(value);
}

export async function runAuditInclusionProof(
  io: CliIo,
  options: ActingOptions & { seq: string; treeSize?: string },
): Promise<number> {
  const seq = positive('seq', options.seq) ?? 0;
  const treeSize = positive('tree-size', options.treeSize);

  return await withActingRuntime(io, options, 'audit proof inclusion', async (runtime, actor) => {
    const proof = await runtime.services.auditTrail.inclusionProof(actor, seq, treeSize, {
      correlationId: `cli-${process.pid}`,
    });
    printResult(io, options.json === true, proof, [
      `Event ${proof.seq} (leaf ${proof.leafHash}) is in the tree of size ${proof.treeSize} with root ${proof.checkpoint.checkpoint.rootHash}.`,
      ...proof.proof.map((node, index) => `  ${index}: ${node}`),
    ]);
    return EXIT.ok;
  });
}

export async function runAuditConsistencyProof(
  io: CliIo,
  options: ActingOptions & { first: string; second: string },
): Promise<number> {
  const first = positive('first', options.first) ?? 0;
  const second = positive('second', options.second) ?? 0;

  return await withActingRuntime(io, options, 'audit proof consistency', async (runtime, actor) => {
    const proof = await runtime.services.auditTrail.consistencyProof(actor, first, second, {
      correlationId: `cli-${process.pid}`,
    });
    printResult(io, options.json === true, proof, [
      `The tree of size ${second} (root ${proof.second.checkpoint.rootHash}) extends the tree of size ${first} (root ${proof.first.checkpoint.rootHash}).`,
      ...proof.proof.map((node, index) => `  ${index}: ${node}`),
    ]);
    return EXIT.ok;
  });
}

/**
 * Print the signed checkpoints, one JSON object per line, in the form that
 * verify --trusted-checkpoint reads, so they can be kept elsewhere.
 */
export async function runAuditCheckpoints(io: CliIo, options: ActingOptions): Promise<number> {
  return await withActingRuntime(io, options, 'audit checkpoints', async (runtime, actor) => {
    const checkpoints = await runtime.services.auditTrail.checkpoints(actor, {
      correlationId: `cli-${process.pid}`,
    });
    for (const signed of checkpoints) io.stdout.write(`${JSON.stringify(signed)}\n`);
    return EXIT.ok;
  });
}
