import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { datasetDescriptionSchema, datasetNameSchema } from '@peytonix/contracts';
import type { Logger } from 'pino';
import type { DatasetImportsConfig } from '../../platform/config/config.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import type { DatasetColumn, DatasetFormat } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { ObjectStorage } from '../../platform/storage/object-storage.ts';
import type { AccessControl } from '../access/access-control.ts';
import { withActor } from '../access/actor-scope.ts';
import type { Permission } from '../access/permissions.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { SecurityEvents } from '../audit-trail/security-events.ts';
import { loadAuthorizedEntity } from '../entities/entities.service.ts';
import { entitiesInSubtreeWith } from '../entities/entity-subtree-filter.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import {
  type DatasetVersionRow,
  ensureDataset,
  findDatasetByName,
  insertDatasetVersion,
  listDatasetsOfEntities,
  listDatasetVersions,
  nextVersionNumber,
} from './datasets.repository.ts';
import {
  DEFAULT_MAX_COLUMNS,
  ImportError,
  type ImportResult,
  type ParseOptions,
} from './import/import-dataset.ts';
import {
  DEFAULT_IMPORT_TIMEOUT_MS,
  DEFAULT_PREVIEW_TIMEOUT_MS,
  type ImportProcessLimits,
  importDatasetInChild,
} from './import/import-process.ts';
import { createImportSlots, type ImportSlot } from './import-slots.ts';
import { createImportWorkDirectory } from './import-work-directories.ts';

/** The defaults of the PEYTONIX_DATASET_* variables. */
export const DEFAULT_DATASET_IMPORTS_CONFIG: DatasetImportsConfig = {
  maxColumns: DEFAULT_MAX_COLUMNS,
  importTimeoutMs: DEFAULT_IMPORT_TIMEOUT_MS,
  previewTimeoutMs: DEFAULT_PREVIEW_TIMEOUT_MS,
  maxConcurrent: 2,
};

export interface DatasetImportInput {
  entityCode: string;
  datasetName: string;
  description?: string;
  filePath: string;
  fileName: string;
  format?: DatasetFormat;
  options?: ParseOptions;
}

export interface DatasetVersionSummary {
  datasetId: string;
  datasetName: string;
  entityCode: string;
  versionId: string;
  version: number;
  sourceFileName: string;
  sourceFormat: DatasetFormat;
  rowCount: number;
  /** SHA-256 of the raw file, hex. */
  sha256: string;
  rawSize: number;
  /** SHA-256 of the normalized Parquet copy, hex. */
  parquetSha256: string;
  parquetSize: number;
  columns: DatasetColumn[];
  parseOptions: Record<string, unknown>;
  /** What the import changed or assumed without failing. */
  warnings: string[];
  createdAt: string;
}

/** An import's result without its version: what the user checks before importing. */
export interface DatasetPreview {
  format: DatasetFormat;
  rowCount: number;
  columns: DatasetVersionSummary['columns'];
  rows: (string | null)[][];
  appliedOptions: ParseOptions;
  warnings: string[];
}

export interface DatasetSummary {
  id: string;
  entityId: string;
  entityCode: string;
  name: string;
  description: string;
  latestVersion: number;
  createdAt: string;
}

/** Options of one import or preview. */
export interface ImportRunOptions {
  /** A slot that the caller reserved and releases. Without one, the call reserves its own. */
  slot?: ImportSlot;
  /** Aborting it kills the import process, and the call throws the signal's reason. */
  signal?: AbortSignal;
}

export interface DatasetsService {
  /**
   * Reserve one of the import and preview slots of this process, or throw
   * RATE_LIMITED. For callers with work to do before the import, such as
   * copying an upload from storage.
   */
  reserveImportSlot(work: 'import' | 'preview'): ImportSlot;
  importFile(
    actor: Actor,
    input: DatasetImportInput,
    context?: RequestContext,
    options?: ImportRunOptions,
  ): Promise<DatasetVersionSummary>;
  /**
   * Parse a file as an import would, without storing anything, and return
   * the first `rows` rows with the inferred columns and applied options.
   */
  previewFile(
    actor: Actor,
    input: Omit<DatasetImportInput, 'datasetName' | 'description'>,
    rows: number,
    options?: ImportRunOptions,
  ): Promise<DatasetPreview>;
  /**
   * Datasets the actor may read, or only those of `entityCode` and the
   * entities below it. An entity outside the actor's scope is RESOURCE_NOT_FOUND.
   */
  listInScope(
    actor: Actor,
    filter?: { entityCode?: string | undefined },
  ): Promise<DatasetSummary[]>;
  /** A dataset named `name` in entity `entityCode`, with all its versions, newest first. */
  show(
    actor: Actor,
    entityCode: string,
    name: string,
  ): Promise<DatasetSummary & { versions: DatasetVersionSummary[] }>;
}

function toVersionSummary(
  row: DatasetVersionRow,
  dataset: { name: string; entityCode: string },
): DatasetVersionSummary {
  return {
    datasetId: row.dataset_id,
    datasetName: dataset.name,
    entityCode: dataset.entityCode,
    versionId: row.id,
    version: row.version,
    sourceFileName: row.source_file_name,
    sourceFormat: row.source_format,
    rowCount: Number(row.row_count),
    sha256: row.raw_sha256.toString('hex'),
    rawSize: Number(row.raw_size),
    parquetSha256: row.parquet_sha256.toString('hex'),
    parquetSize: Number(row.parquet_size),
    columns: row.columns,
    parseOptions: row.parse_options,
    warnings: row.import_warnings,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

function importFailure(error: ImportError, fileName: string): AppError {
  return new AppError('IMPORT_REJECTED', {
    detail: error.message,
    extensions: {
      reason: error.code,
      fileName,
      ...(error.line !== undefined ? { line: error.line } : {}),
      ...(error.column !== undefined ? { column: error.column } : {}),
      ...(error.value !== undefined ? { value: error.value } : {}),
    },
    internal: error,
  });
}

/**
 * Datasets and their versions. An import is all-or-nothing: a child
 * process parses the file into Parquet in a private work directory, both
 * files go to object storage, and only then does one transaction record the
 * version and its audit event. When that transaction fails, the stored
 * objects are deleted. The work directory is removed in every case.
 */
export function createDatasetsService(deps: {
  db: Db;
  logger: Logger;
  securityEvents: SecurityEvents;
  access: AccessControl;
  storage: () => Promise<ObjectStorage>;
  /** Directory for import work files; each import gets a private subdirectory. */
  workRoot: string;
  /** Limits of the child process that runs each import, instead of the defaults. */
  importLimits?: Partial<ImportProcessLimits>;
  /** Column, time and concurrency limits; the configuration's defaults when absent. */
  datasetImports?: DatasetImportsConfig;
}): DatasetsService {
  const { db, access } = deps;
  const limits = deps.datasetImports ?? DEFAULT_DATASET_IMPORTS_CONFIG;
  const slots = createImportSlots(limits.maxConcurrent);

  /** Run `work` in the caller's slot, or in one reserved for it. */
  const inSlot = async <T>(
    kind: 'import' | 'preview',
    options: ImportRunOptions | undefined,
    work: () => Promise<T>,
  ): Promise<T> => {
    if (options?.slot !== undefined) return await work();
    const slot = slots.reserve(kind);
    try {
      return await work();
    } finally {
      slot.release();
    }
  };

  /** Load the entity and authorize the actor on it; out of scope reads as missing. */
  const loadEntity = (
    tx: Tx,
    actor: Actor,
    entityCode: string,
    permission: Permission,
    context?: RequestContext,
  ) => loadAuthorizedEntity(tx, access, { actor, entityCode, permission, context });

  const storeVersion = async (
    actor: Actor & { type: 'user' },
    entity: { id: string; code: string },
    input: DatasetImportInput,
    result: ImportResult,
    context: RequestContext | undefined,
  ): Promise<DatasetVersionSummary> => {
    const storage = await deps.storage();
    const versionId = randomUUID();
    const rawKey = `dataset-versions/${versionId}/raw`;
    const parquetKey = `dataset-versions/${versionId}/parquet`;

    await storage.put(rawKey, createReadStream(input.filePath), {
      contentType: 'application/octet-stream',
      sha256: result.rawSha256,
    });
    try {
      await storage.put(parquetKey, createReadStream(result.parquetPath), {
        contentType: 'application/vnd.apache.parquet',
        sha256: result.parquetSha256,
      });
      return await withActor(db, actor, async (tx) => {
        // Authorized again in the writing transaction: a grant revoked
        // during the import stops it here.
        await loadEntity(tx, actor, entity.code, 'datasets.import', context);
        const dataset = await ensureDataset(tx, {
          entityId: entity.id,
          name: input.datasetName,
          description: input.description ?? '',
          createdBy: actor.userId,
        });
        const version = await nextVersionNumber(tx, dataset.id);
        await insertDatasetVersion(tx, {
          id: versionId,
          datasetId: dataset.id,
          version,
          sourceFileName: input.fileName,
          sourceFormat: result.format,
          parseOptions: result.appliedOptions,
          rawObjectKey: rawKey,
          rawSha256: Buffer.from(result.rawSha256, 'hex'),
          rawSize: result.rawSize,
          parquetObjectKey: parquetKey,
          parquetSha256: Buffer.from(result.parquetSha256, 'hex'),
          parquetSize: result.parquetSize,
          columns: result.columns,
          rowCount: result.rowCount,
          createdBy: actor.userId,
          importWarnings: result.warnings,
        });
        await appendAuditEvent(tx, {
          actor,
          action: 'dataset.version_imported',
          outcome: 'success',
          target: { type: 'dataset_version', id: versionId },
          entityId: entity.id,
          ...(context ? { context } : {}),
          details: {
            datasetId: dataset.id,
            datasetName: dataset.name,
            version,
            fileName: input.fileName,
            format: result.format,
            rowCount: result.rowCount,
            rawSha256: result.rawSha256,
            parquetSha256: result.parquetSha256,
            parseOptions: result.appliedOptions,
            warnings: result.warnings,
          },
        });
        const [row] = await listDatasetVersions(tx, dataset.id);
        if (row === undefined || row.id !== versionId)
          throw new Error('the new dataset version was not found');
        return toVersionSummary(row, { name: dataset.name, entityCode: entity.code });
      });
    } catch (error) {
      for (const key of [rawKey, parquetKey]) {
        await storage.delete(key).catch((cleanupError: unknown) => {
          deps.logger.error(
            { err: cleanupError, key },
            'removing an object of a failed import failed',
          );
        });
      }
      throw error;
    }
  };

  /** Import the file in a fresh work directory in the caller's slot, then store the version. */
  const importInWorkDirectory = async (
    actor: Actor & { type: 'user' },
    entity: { id: string; code: string },
    input: DatasetImportInput,
    context: RequestContext | undefined,
    signal: AbortSignal | undefined,
  ): Promise<DatasetVersionSummary> => {
    const workDir = await createImportWorkDirectory(deps.workRoot);
    try {
      let result: ImportResult;
      try {
        result = await importDatasetInChild({
          sourcePath: input.filePath,
          fileName: input.fileName,
          workDir,
          maxColumns: limits.maxColumns,
          timeoutMs: limits.importTimeoutMs,
          ...(input.format ? { format: input.format } : {}),
          ...(input.options ? { options: input.options } : {}),
          ...deps.importLimits,
          ...(signal === undefined ? {} : { signal }),
          logger: deps.logger.child({ entityId: entity.id }),
        });
      } catch (error) {
        if (!(error instanceof ImportError)) throw error;
        await deps.securityEvents.record({
          actor,
          action: 'dataset.import_failed',
          outcome: 'failure',
          reasonCode: error.code,
          target: { type: 'entity', id: entity.id },
          entityId: entity.id,
          ...(context ? { context } : {}),
          details: {
            datasetName: input.datasetName,
            fileName: input.fileName,
            line: error.line ?? null,
            column: error.column ?? null,
          },
        });
        throw importFailure(error, input.fileName);
      }
      return await storeVersion(actor, entity, input, result, context);
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  };

  return {
    reserveImportSlot: (work) => slots.reserve(work),

    async importFile(actor, request, context, options) {
      const name = datasetNameSchema.safeParse(request.datasetName);
      if (!name.success) {
        throw new AppError('VALIDATION_FAILED', {
          detail: `Invalid dataset name ${JSON.stringify(request.datasetName)}: ${name.error.issues[0]?.message ?? 'invalid value'}. Choose another name.`,
        });
      }
      const description = datasetDescriptionSchema.optional().safeParse(request.description);
      if (!description.success) {
        throw new AppError('VALIDATION_FAILED', {
          detail: `Invalid dataset description: ${description.error.issues[0]?.message ?? 'invalid value'}. Correct the description and import again.`,
        });
      }
      const input = { ...request, datasetName: name.data };

      const entity = await withActor(db, actor, (tx) =>
        loadEntity(tx, actor, input.entityCode, 'datasets.import', context),
      );
      if (actor.type !== 'user') {
        throw new AppError('FORBIDDEN', { detail: 'Only users import datasets.' });
      }

      return await inSlot('import', options, () =>
        importInWorkDirectory(actor, entity, input, context, options?.signal),
      );
    },

    async previewFile(actor, input, rows, options) {
      const entity = await withActor(db, actor, (tx) =>
        loadEntity(tx, actor, input.entityCode, 'datasets.import'),
      );
      return await inSlot('preview', options, async () => {
        const workDir = await createImportWorkDirectory(deps.workRoot);
        try {
          const result = await importDatasetInChild({
            sourcePath: input.filePath,
            fileName: input.fileName,
            workDir,
            previewRows: rows,
            maxColumns: limits.maxColumns,
            timeoutMs: limits.previewTimeoutMs,
            ...(input.format ? { format: input.format } : {}),
            ...(input.options ? { options: input.options } : {}),
            ...deps.importLimits,
            ...(options?.signal === undefined ? {} : { signal: options.signal }),
            logger: deps.logger.child({ entityId: entity.id }),
          }).catch((error: unknown) => {
            if (error instanceof ImportError) throw importFailure(error, input.fileName);
            throw error;
          });
          return {
            format: result.format,
            rowCount: result.rowCount,
            columns: result.columns,
            rows: result.preview ?? [],
            appliedOptions: result.appliedOptions,
            warnings: result.warnings,
          };
        } finally {
          await rm(workDir, { recursive: true, force: true });
        }
      });
    },
    async listInScope(actor, filter) {
      const rows = await withActor(db, actor, async (tx) =>
        listDatasetsOfEntities(
          tx,
          await entitiesInSubtreeWith(tx, access, actor, 'datasets.read', filter?.entityCode),
        ),
      );
      return rows.map((row) => ({
        id: row.id,
        entityId: row.entity_id,
        entityCode: row.entity_code,
        name: row.name,
        description: row.description,
        latestVersion: row.latest_version,
        createdAt: new Date(row.created_at).toISOString(),
      }));
    },

    async show(actor, entityCode, name) {
      const { entity, dataset, versions } = await withActor(db, actor, async (tx) => {
        const entity = await loadEntity(tx, actor, entityCode, 'datasets.read');
        const dataset = await findDatasetByName(tx, entity.id, name);
        if (dataset === undefined) {
          throw new AppError('RESOURCE_NOT_FOUND', {
            detail: `Entity ${entity.code} has no dataset named ${JSON.stringify(name)}. List datasets with "peytonix datasets list".`,
          });
        }
        return { entity, dataset, versions: await listDatasetVersions(tx, dataset.id) };
      });
      return {
        id: dataset.id,
        entityId: entity.id,
        entityCode: entity.code,
        name: dataset.name,
        description: dataset.description,
        latestVersion: dataset.latest_version,
        createdAt: new Date(dataset.created_at).toISOString(),
        versions: versions.map((row) =>
          toVersionSummary(row, { name: dataset.name, entityCode: entity.code }),
        ),
      };
    },
  };
}
