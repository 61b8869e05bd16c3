import {
  datasetDetailSchema,
  datasetListSchema,
  datasetPreviewSchema,
  type datasetUploadReadSchema,
  datasetUploadSchema,
  datasetVersionSchema,
  type declareDatasetUploadSchema,
  type parseOptionsSchema,
} from '@peytonix/contracts';
import { useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import { apiRequest } from '../api/client.ts';

export type DatasetSummary = z.infer<typeof datasetListSchema>['items'][number];
export type DatasetDetail = z.infer<typeof datasetDetailSchema>;
export type DatasetVersion = DatasetDetail['versions'][number];
export type DatasetUploadDeclaration = z.input<typeof declareDatasetUploadSchema>;
export type DatasetUpload = z.infer<typeof datasetUploadSchema>;
export type DatasetUploadRead = z.input<typeof datasetUploadReadSchema>;
export type ParseOptions = z.input<typeof parseOptionsSchema>;
export type DatasetPreview = z.infer<typeof datasetPreviewSchema>;

export const datasetKeys = {
  list: ['datasets'] as const,
  detail: (entityCode: string, name: string) => ['datasets', entityCode, name] as const,
};

export async function listDatasets(signal?: AbortSignal): Promise<DatasetSummary[]> {
  const list = await apiRequest('/api/v1/datasets', {
    schema: datasetListSchema,
    ...(signal ? { signal } : {}),
  });
  return list.items;
}

export function getDataset(entityCode: string, name: string, signal?: AbortSignal) {
  const query = new URLSearchParams({ entity: entityCode, name });
  return apiRequest(`/api/v1/datasets/by-name?${query}`, {
    schema: datasetDetailSchema,
    ...(signal ? { signal } : {}),
  });
}

/** Declare a file to import and get the signed PUT request that uploads it straight to storage. */
export function declareDatasetUpload(declaration: DatasetUploadDeclaration) {
  return apiRequest('/api/v1/datasets/uploads', {
    method: 'POST',
    body: declaration,
    schema: datasetUploadSchema,
  });
}

/** Parse an uploaded file with `read` and return its first rows, inferred columns and warnings; stores nothing. */
export function previewDatasetUpload(uploadId: string, read: DatasetUploadRead) {
  return apiRequest(`/api/v1/datasets/uploads/${encodeURIComponent(uploadId)}/preview`, {
    method: 'POST',
    body: read,
    schema: datasetPreviewSchema,
  });
}

/** Import an uploaded file as the next version of its dataset. */
export function importDatasetUpload(uploadId: string, read: DatasetUploadRead) {
  return apiRequest(`/api/v1/datasets/uploads/${encodeURIComponent(uploadId)}/import`, {
    method: 'POST',
    body: read,
    schema: datasetVersionSchema,
  });
}

/** The datasets of every entity in the user's scope. */
export function useDatasets() {
  return useQuery({ queryKey: datasetKeys.list, queryFn: ({ signal }) => listDatasets(signal) });
}

/** Load one dataset with its versions, newest first, once both the entity and the name are set. */
export function useDataset(entityCode: string, name: string) {
  return useQuery({
    queryKey: datasetKeys.detail(entityCode, name),
    queryFn: ({ signal }) => getDataset(entityCode, name, signal),
    enabled: entityCode !== '' && name !== '',
  });
}

/**
 * Link to the page of one dataset, with `version` open when given. Names may
 * contain any character except "@", so they go in the query string.
 */
export function datasetPath(entityCode: string, name: string, version?: number): string {
  const query = new URLSearchParams({ entity: entityCode, name });
  if (version !== undefined) query.set('version', String(version));
  return `/datasets/show?${query}`;
}
