import { EXCEPTION_STATUS_VALUES, SEVERITY_VALUES } from '@peytonix/contracts';
import type { ExceptionFilters, ExceptionStatus, Severity } from './exceptions-api.ts';

/**
 * The queue's filters as they appear in the page address, so a filtered
 * queue can be bookmarked, shared and reached with the back button. Names
 * follow GET /api/v1/exceptions. `entity` is absent until the user picks
 * one, and the page then shows the first entity in scope.
 */
export type QueueFilters = Omit<ExceptionFilters, 'entity'> & { entity?: string | undefined };

function listOf<T extends string>(text: string | null, allowed: readonly T[]): T[] | undefined {
  if (text === null || text === '') return undefined;
  const values = text
    .split(',')
    .map((value) => value.trim())
    .filter((value): value is T => (allowed as readonly string[]).includes(value));
  return values.length === 0 ? undefined : values;
}

function daysOf(text: string | null): number | undefined {
  if (text === null || !/^\d{1,5}$/.test(text)) return undefined;
  return Number(text);
}

function textOf(text: string | null): string | undefined {
  const trimmed = text?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** Read the filters from the address; values the API would reject are dropped. */
export function filtersFromSearchParams(params: URLSearchParams): QueueFilters {
  return {
    entity: textOf(params.get('entity')),
    test: textOf(params.get('test')),
    run: textOf(params.get('run')),
    status: listOf<ExceptionStatus>(params.get('status'), EXCEPTION_STATUS_VALUES),
    severity: listOf<Severity>(params.get('severity'), SEVERITY_VALUES),
    assignee: textOf(params.get('assignee')),
    minAgeDays: daysOf(params.get('minAgeDays')),
    maxAgeDays: daysOf(params.get('maxAgeDays')),
    q: textOf(params.get('q')),
  };
}

export function searchParamsFromFilters(filters: QueueFilters): URLSearchParams {
  const params = new URLSearchParams();
  const set = (name: string, value: string | number | undefined) => {
    if (value !== undefined && value !== '') params.set(name, String(value));
  };
  set('entity', filters.entity);
  set('test', filters.test);
  set('run', filters.run);
  set('status', filters.status?.join(','));
  set('severity', filters.severity?.join(','));
  set('assignee', filters.assignee);
  set('minAgeDays', filters.minAgeDays);
  set('maxAgeDays', filters.maxAgeDays);
  set('q', filters.q);
  return params;
}
