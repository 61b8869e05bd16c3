import { entityCodeSchema } from '@peytonix/contracts';
import type { ExceptionCounts } from '../../../modules/exceptions/summaries/exception-summaries.schemas.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import { type ActingOptions, withActingRuntime } from '../../acting-runtime.ts';
import { type CliIo, EXIT, printResult } from '../../cli-io.ts';

export interface ExceptionsSummaryOptions extends ActingOptions {
  entity: string;
}

function formatCounts(counts: { total: number; notClosed: number; overdue: number }): string {
  return `${counts.total} total, ${counts.notClosed} not closed, ${counts.overdue} overdue`;
}

function formatPairs(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
}

/** Lay out the counts as text, one group per line. */
export function summaryLines(counts: ExceptionCounts): string[] {
  const lines = [
    `Exceptions of ${counts.entity.code} (${counts.entity.name}) and the entities below it, overdue as of ${counts.today}:`,
    `  ${formatCounts(counts)}`,
    `  by status: ${formatPairs(counts.byStatus)}`,
    `  by severity: ${formatPairs(counts.bySeverity)}`,
  ];
  if (counts.byEntity.length > 0) lines.push('  by entity:');
  for (const entity of counts.byEntity) {
    lines.push(`    ${entity.code}  ${entity.name}: ${formatCounts(entity)}`);
  }
  if (counts.byTest.length > 0) lines.push('  by test:');
  for (const test of counts.byTest) {
    lines.push(`    ${test.entityCode}/${test.key}: ${formatCounts(test)}`);
  }
  return lines;
}

/** Print the exception counts of an entity's subtree. The acting user needs dashboards.read on the entity. */
export async function runExceptionsSummary(
  io: CliIo,
  options: ExceptionsSummaryOptions,
): Promise<number> {
  const parsed = entityCodeSchema.safeParse(options.entity);
  if (!parsed.success) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `Invalid --entity ${JSON.stringify(options.entity)}: ${parsed.error.issues[0]?.message ?? 'invalid value'}. Pass an entity code from "peytonix entities list".`,
    });
  }

  return await withActingRuntime(io, options, 'exceptions summary', async (runtime, actor) => {
    const counts = await runtime.services.exceptionSummaries.counts(actor, parsed.data, {
      correlationId: `cli-${process.pid}`,
    });
    printResult(io, options.json === true, counts, summaryLines(counts));
    return EXIT.ok;
  });
}
