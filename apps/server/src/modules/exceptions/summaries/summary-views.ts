import { EXCEPTION_STATUSES } from '../../../platform/db/schema.ts';
import { AGE_BUCKETS } from './age-buckets.ts';
import type { AgeGroupRow, CountGroupRow, TrendRunRow } from './exception-summaries.repository.ts';
import {
  type ExceptionAgeing,
  type ExceptionCounts,
  type ExceptionTrend,
  SEVERITIES,
} from './exception-summaries.schemas.ts';

type SeverityCounts = ExceptionCounts['bySeverity'];
type StatusCounts = ExceptionCounts['byStatus'];

function zeroSeverities(): SeverityCounts {
  return Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as SeverityCounts;
}

function zeroStatuses(): StatusCounts {
  return Object.fromEntries(EXCEPTION_STATUSES.map((status) => [status, 0])) as StatusCounts;
}

function groupCounts(row: CountGroupRow) {
  return {
    total: Number(row.total),
    notClosed: Number(row.not_closed),
    overdue: Number(row.overdue),
  };
}

/**
 * Build the counts response from the grouped rows. Statuses and severities
 * without exceptions read 0. Entities and tests without exceptions are not
 * listed.
 */
export function toExceptionCounts(
  entity: ExceptionCounts['entity'],
  today: string,
  rows: readonly CountGroupRow[],
): ExceptionCounts {
  const counts: ExceptionCounts = {
    entity,
    today,
    total: 0,
    notClosed: 0,
    overdue: 0,
    byStatus: zeroStatuses(),
    bySeverity: zeroSeverities(),
    byEntity: [],
    byTest: [],
  };

  for (const row of rows) {
    if (row.dimension === 'total') {
      Object.assign(counts, groupCounts(row));
    } else if (row.dimension === 'status' && row.status !== null) {
      counts.byStatus[row.status] = Number(row.total);
    } else if (row.dimension === 'severity' && row.severity !== null) {
      counts.bySeverity[row.severity] = Number(row.total);
    } else if (row.dimension === 'entity') {
      counts.byEntity.push({
        code: row.entity_code ?? '',
        name: row.entity_name ?? '',
        ...groupCounts(row),
      });
    } else if (row.dimension === 'test') {
      counts.byTest.push({
        key: row.test_key ?? '',
        entityCode: row.test_entity_code ?? '',
        ...groupCounts(row),
      });
    }
  }
  return counts;
}

/** Build the ageing response: every bucket of AGE_BUCKETS, empty ones included. */
export function toExceptionAgeing(
  entity: ExceptionAgeing['entity'],
  asOf: Date,
  groups: readonly AgeGroupRow[],
): ExceptionAgeing {
  const buckets = AGE_BUCKETS.map((bucket) => ({
    ...bucket,
    count: 0,
    bySeverity: zeroSeverities(),
  }));

  for (const group of groups) {
    const bucket = buckets[group.bucket];
    if (bucket === undefined) continue;

    const count = Number(group.count);
    bucket.count += count;
    bucket.bySeverity[group.severity] += count;
  }

  const total = buckets.reduce((sum, bucket) => sum + bucket.count, 0);
  return { entity, asOf: asOf.toISOString(), total, buckets };
}

export function toExceptionTrend(
  entity: ExceptionTrend['entity'],
  test: ExceptionTrend['test'],
  rows: readonly TrendRunRow[],
): ExceptionTrend {
  return {
    entity,
    test,
    runs: rows.map((row) => ({
      id: row.id,
      runNumber: row.run_number,
      finishedAt: row.finished_at === null ? null : new Date(row.finished_at).toISOString(),
      new: Number(row.new),
      recurring: Number(row.recurring),
      reopened: Number(row.reopened),
      closed: Number(row.closed),
    })),
  };
}
