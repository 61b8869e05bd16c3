import type { RunHistoryFilters, RunStatus } from './runs-api.ts';

export const RUN_STATUS_VALUES: readonly RunStatus[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
];

function textOf(text: string | null): string | undefined {
  const trimmed = text?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/**
 * Read the run history filters from the page address, named as in
 * GET /api/v1/runs, so a filtered history can be bookmarked and shared.
 * Values the API would reject are dropped.
 */
export function historyFiltersFromSearchParams(params: URLSearchParams): RunHistoryFilters {
  const statuses = (params.get('status') ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter((value): value is RunStatus =>
      (RUN_STATUS_VALUES as readonly string[]).includes(value),
    );
  const previewText = params.get('preview');
  let preview: boolean | undefined;
  if (previewText === 'true') preview = true;
  if (previewText === 'false') preview = false;
  return {
    entity: textOf(params.get('entity')),
    test: textOf(params.get('test')),
    status: statuses.length === 0 ? undefined : statuses,
    preview,
  };
}

export function searchParamsFromHistoryFilters(filters: RunHistoryFilters): URLSearchParams {
  const params = new URLSearchParams();
  if (filters.entity !== undefined) params.set('entity', filters.entity);
  if (filters.test !== undefined) params.set('test', filters.test);
  if (filters.status !== undefined && filters.status.length > 0) {
    params.set('status', filters.status.join(','));
  }
  if (filters.preview !== undefined) params.set('preview', String(filters.preview));
  return params;
}
