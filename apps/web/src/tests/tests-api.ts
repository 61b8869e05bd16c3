import { changeRequestSchema, type testActivationRequestInputSchema } from '@peytonix/contracts';
import { useQueries, useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../api/client.ts';
import { getRun, listRunHistory, type RunDetail, runKeys } from '../runs/runs-api.ts';

export type { TestInScope, TestTemplate } from '../runs/runs-api.ts';
export { useTests } from '../runs/runs-api.ts';

export type TestActivationRequest = z.input<typeof testActivationRequestInputSchema>;

/**
 * Maximum number of runs whose details the test page loads to find the
 * versions they recorded. GET /api/v1/runs lists no version number, so each
 * run costs a request for its details.
 */
export const RECORDED_RUNS_LIMIT = 20;

/** Address of a test's page. Without an entity, it is the page of the library template `key`. */
export function testPath(key: string, entityCode?: string): string {
  const path = `/tests/${encodeURIComponent(key)}`;
  return entityCode === undefined ? path : `${path}?${new URLSearchParams({ entity: entityCode })}`;
}

/** Address of the run form with the test and entity filled in. */
export function runFormPath(key: string, entityCode: string | undefined): string {
  const query = new URLSearchParams({ test: key });
  if (entityCode !== undefined) query.set('entity', entityCode);
  return `/runs/new?${query}`;
}

/** Request activation of a draft version (POST /api/v1/test-activation-requests). */
export function requestTestActivation(request: TestActivationRequest) {
  return apiRequest('/api/v1/test-activation-requests', {
    method: 'POST',
    body: request,
    schema: changeRequestSchema,
  });
}

/** A test version as a run recorded it: the run's SQL, key columns and bound parameter values. */
export interface RecordedVersion {
  version: number;
  /** The newest real run that recorded this version. */
  run: RunDetail;
}

/**
 * Load the newest real runs of test `key` in `entityCode`, and return the
 * versions they recorded, newest version first, each with its newest run.
 * The test definition routes return no SQL, so a run's record is the only
 * place the API shows a version's SQL. A version that no real run has
 * recorded, such as a draft, is missing.
 */
export function useRecordedVersions(key: string, entityCode: string) {
  const history = useQuery({
    queryKey: runKeys.history(
      { entity: entityCode, test: key, preview: false },
      RECORDED_RUNS_LIMIT,
      undefined,
    ),
    queryFn: ({ signal }) =>
      listRunHistory(
        { entity: entityCode, test: key, preview: false },
        RECORDED_RUNS_LIMIT,
        undefined,
        signal,
      ),
  });
  // The entity filter includes the entities below it, which may hold a test with the same key.
  const runIds = (history.data?.items ?? [])
    .filter((item) => item.entityCode === entityCode)
    .map((item) => item.runId);
  const details = useQueries({
    queries: runIds.map((id) => ({
      queryKey: runKeys.run(id),
      queryFn: ({ signal }: { signal: AbortSignal }) => getRun(id, signal),
    })),
  });

  const error = history.error ?? details.find((detail) => detail.error !== null)?.error ?? null;
  const isPending = history.isPending || details.some((detail) => detail.isPending);
  const versions = new Map<number, RecordedVersion>();
  for (const detail of details) {
    const run = detail.data;
    // Details arrive in history order, newest first, so the first run of each version is its newest.
    if (run !== undefined && !versions.has(run.testVersion)) {
      versions.set(run.testVersion, { version: run.testVersion, run });
    }
  }
  return {
    versions: [...versions.values()].sort((a, b) => b.version - a.version),
    isPending,
    error,
    /** True when the test has more real runs than were read. */
    truncated: history.data?.next !== null && history.data?.next !== undefined,
  };
}
