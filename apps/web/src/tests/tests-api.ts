import {
  changeRequestSchema,
  draftedVersionSchema,
  type testActivationRequestInputSchema,
  testDefinitionSchema,
  testVersionListSchema,
} from '@peytonix/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../api/client.ts';
import { runKeys } from '../runs/runs-api.ts';

export type { TestInScope, TestTemplate } from '../runs/runs-api.ts';
export { useTests } from '../runs/runs-api.ts';

export type TestActivationRequest = z.input<typeof testActivationRequestInputSchema>;

export type TestVersionList = z.infer<typeof testVersionListSchema>;
export type TestVersionSummary = TestVersionList['versions'][number];
/** A version in definition-file form, as GET /api/v1/tests/{key}/definition returns it. */
export type ExportedDefinition = z.infer<typeof testDefinitionSchema>;

export const testKeys = {
  versions: (key: string, entityCode: string) => ['test-versions', entityCode, key] as const,
  definition: (key: string, entityCode: string, version: number | undefined) =>
    ['test-definition', entityCode, key, version ?? 'active'] as const,
};

/**
 * Address of a test's page. Without an entity, it is the page of the
 * library template `key`. `version` selects the version the page shows.
 */
export function testPath(key: string, entityCode?: string, version?: number): string {
  const path = `/tests/${encodeURIComponent(key)}`;
  if (entityCode === undefined) return path;
  const query = new URLSearchParams({ entity: entityCode });
  if (version !== undefined) query.set('version', String(version));
  return `${path}?${query}`;
}

/** Address of the editor that saves a copy of `version` of a test as its next draft. */
export function editDraftPath(key: string, entityCode: string, version: number): string {
  const query = new URLSearchParams({ entity: entityCode, version: String(version) });
  return `/tests/${encodeURIComponent(key)}/edit?${query}`;
}

/** Address of the editor for a new test, optionally starting from a library template. */
export function newTestPath(entityCode?: string, templateKey?: string): string {
  const query = new URLSearchParams();
  if (entityCode !== undefined) query.set('entity', entityCode);
  if (templateKey !== undefined) query.set('template', templateKey);
  const search = query.toString();
  return search === '' ? '/tests/drafts/new' : `/tests/drafts/new?${search}`;
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

/** Load the versions of test `key` in `entityCode`, newest first (GET /api/v1/tests/{key}/versions). */
export function useTestVersions(
  key: string,
  entityCode: string,
  options: { enabled?: boolean } = {},
) {
  return useQuery({
    enabled: options.enabled ?? true,
    queryKey: testKeys.versions(key, entityCode),
    queryFn: ({ signal }) =>
      apiRequest(
        `/api/v1/tests/${encodeURIComponent(key)}/versions?${new URLSearchParams({ entity: entityCode })}`,
        { schema: testVersionListSchema, signal },
      ),
  });
}

/**
 * Load one version of test `key` in definition-file form, or the active
 * version when `version` is undefined (GET /api/v1/tests/{key}/definition).
 */
export function useTestDefinition(
  key: string,
  entityCode: string,
  version: number | undefined,
  options: { enabled?: boolean } = {},
) {
  return useQuery({
    queryKey: testKeys.definition(key, entityCode, version),
    queryFn: ({ signal }) => {
      const query = new URLSearchParams({ entity: entityCode });
      if (version !== undefined) query.set('version', String(version));
      return apiRequest(`/api/v1/tests/${encodeURIComponent(key)}/definition?${query}`, {
        schema: testDefinitionSchema,
        signal,
      });
    },
    enabled: options.enabled ?? true,
    // A stored version never changes, so only the active one can go stale.
    staleTime: version === undefined ? 0 : Number.POSITIVE_INFINITY,
  });
}

/**
 * Store `definition` as the next draft version of its test in `entityCode`
 * (POST /api/v1/tests/drafts), then drop the cached version list and test
 * listing so both show the new draft.
 */
export function useDraftTest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: { entity: string; definition: Record<string, unknown> }) =>
      apiRequest('/api/v1/tests/drafts', {
        method: 'POST',
        body: request,
        schema: draftedVersionSchema,
      }),
    onSuccess: async (drafted, request) => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: testKeys.versions(drafted.key, request.entity) }),
        queryClient.invalidateQueries({ queryKey: runKeys.tests }),
      ]);
    },
  });
}
