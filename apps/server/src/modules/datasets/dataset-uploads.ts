import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { datasetNameSchema } from '@peytonix/contracts';
import type { Logger } from 'pino';
import type { Db, Tx } from '../../platform/db/database.ts';
import type { DatasetFormat } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/http/app-error.ts';
import { type ObjectStorage, ObjectStorageError } from '../../platform/storage/object-storage.ts';
import type { AccessControl } from '../access/access-control.ts';
import { withActor } from '../access/actor-scope.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import type { DatasetPreview, DatasetsService, DatasetVersionSummary } from './datasets.service.ts';
import type { ParseOptions } from './import/import-dataset.ts';
import type { ImportSlot } from './import-slots.ts';
import { createImportWorkDirectory } from './import-work-directories.ts';

/** Largest dataset file a browser may upload: 5 GiB, the most one S3 PUT takes. */
export const MAX_DATASET_UPLOAD_BYTES = 5 * 1024 ** 3;
/** Lifetime of a dataset upload URL, in seconds. */
export const DATASET_UPLOAD_URL_SECONDS = 900;
/** Rows a preview returns. */
export const PREVIEW_ROWS = 20;

export interface DeclaredDatasetUpload {
  entityCode: string;
  datasetName: string;
  fileName: string;
  size: number;
  sha256: string;
}

/** How to read an uploaded file, for a preview or the import. */
export interface DatasetUploadRead {
  format?: DatasetFormat | undefined;
  options?: ParseOptions | undefined;
  description?: string | undefined;
}

export interface DatasetUploadsService {
  /** Record a file the browser is about to upload, and return a signed PUT for it. */
  declare(
    actor: Actor,
    input: DeclaredDatasetUpload,
    context?: RequestContext,
  ): Promise<{
    uploadId: string;
    upload: { method: 'PUT'; url: string; headers: Record<string, string>; expiresAt: string };
  }>;
  /**
   * Parse the uploaded file with `read` and return its first rows and inferred
   * columns. Aborting `signal` (the client went away) stops the parse.
   */
  preview(
    actor: Actor,
    uploadId: string,
    read: DatasetUploadRead,
    signal?: AbortSignal,
  ): Promise<DatasetPreview & { uploadId: string }>;
  /** Import the uploaded file as the dataset's next version, then delete the staged object. */
  import(
    actor: Actor,
    uploadId: string,
    read: DatasetUploadRead,
    context?: RequestContext,
  ): Promise<DatasetVersionSummary>;
}

interface UploadRow {
  id: string;
  entityId: string;
  entityCode: string;
  datasetName: string;
  fileName: string;
  size: number;
  sha256: string;
  objectKey: string;
  uploadExpiresAt: Date;
  importedVersionId: string | null;
}

function uploadNotFound(uploadId: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No dataset upload ${uploadId} is visible to you. Declare the file with POST /api/v1/datasets/uploads.`,
  });
}

async function findUpload(tx: Tx, uploadId: string): Promise<UploadRow | undefined> {
  const row = await tx
    .selectFrom('dataset_uploads as u')
    .innerJoin('entities as e', 'e.id', 'u.entity_id')
    .select([
      'u.id',
      'u.entity_id',
      'e.code',
      'u.dataset_name',
      'u.file_name',
      'u.declared_size',
      'u.declared_sha256',
      'u.object_key',
      'u.upload_expires_at',
      'u.imported_version_id',
    ])
    .where('u.id', '=', uploadId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    entityId: row.entity_id,
    entityCode: row.code,
    datasetName: row.dataset_name,
    fileName: row.file_name,
    size: Number(row.declared_size),
    sha256: row.declared_sha256.toString('hex'),
    objectKey: row.object_key,
    uploadExpiresAt: row.upload_expires_at,
    importedVersionId: row.imported_version_id,
  };
}

/**
 * Browser uploads of dataset files. The bytes go from the browser straight
 * to object storage under a key the server chose. A preview and the import
 * copy the staged object into a private work directory, check its SHA-256
 * against the declaration and parse it there.
 */
export function createDatasetUploadsService(deps: {
  db: Db;
  logger: Logger;
  access: AccessControl;
  storage: () => Promise<ObjectStorage>;
  datasets: DatasetsService;
  workRoot: string;
}): DatasetUploadsService {
  const { db, access } = deps;

  /** Load an upload in the actor's scope and authorize datasets.import on its entity. */
  const loadUpload = async (
    actor: Actor,
    uploadId: string,
    context?: RequestContext,
  ): Promise<UploadRow> =>
    await withActor(db, actor, async (tx) => {
      const upload = /^[0-9a-f-]{36}$/i.test(uploadId) ? await findUpload(tx, uploadId) : undefined;
      if (upload === undefined) throw uploadNotFound(uploadId);
      await access.authorize(
        tx,
        actor,
        'datasets.import',
        { type: 'dataset_upload', id: upload.id, entityId: upload.entityId },
        { context, notFound: () => uploadNotFound(uploadId) },
      );
      return upload;
    });

  /** Copy the staged object into `directory`, checking its digest; returns the file's path. */
  const fetchStaged = async (upload: UploadRow, directory: string): Promise<string> => {
    const storage = await deps.storage();
    const file = path.join(directory, 'upload');
    try {
      const body = await storage.get(upload.objectKey, { sha256: upload.sha256 });
      await pipeline(body, createWriteStream(file, { mode: 0o600 }));
    } catch (error) {
      if (error instanceof ObjectStorageError && error.code === 'ObjectNotFound') {
        throw new AppError('CONFLICT', {
          detail: `No file was uploaded for ${upload.fileName} yet. PUT it to the upload URL first (valid until ${upload.uploadExpiresAt.toISOString()}), or declare it again.`,
        });
      }
      if (
        error instanceof ObjectStorageError &&
        (error.code === 'ChecksumMismatch' || error.code === 'IntegrityError')
      ) {
        throw new AppError('IMPORT_REJECTED', {
          detail: `The uploaded bytes of ${upload.fileName} do not have the SHA-256 that was declared (${upload.sha256}). Upload the file again.`,
          extensions: { reason: 'HASH_MISMATCH', fileName: upload.fileName },
        });
      }
      throw error;
    }
    return file;
  };

  /** Create a private work directory, releasing `slot` when that fails. */
  const createWorkDirectoryOrRelease = async (slot: ImportSlot): Promise<string> => {
    try {
      return await createImportWorkDirectory(deps.workRoot);
    } catch (error) {
      slot.release();
      throw error;
    }
  };

  const assertNotImported = (upload: UploadRow) => {
    if (upload.importedVersionId !== null) {
      throw new AppError('CONFLICT', {
        detail: `The upload of ${upload.fileName} was already imported. Upload the file again for another version.`,
      });
    }
  };

  return {
    async declare(actor, input, context) {
      if (actor.type !== 'user') {
        throw new AppError('FORBIDDEN', { detail: 'Only users upload datasets.' });
      }
      const name = datasetNameSchema.safeParse(input.datasetName);
      if (!name.success) {
        throw new AppError('VALIDATION_FAILED', {
          detail: `Invalid dataset name ${JSON.stringify(input.datasetName)}: ${name.error.issues[0]?.message ?? 'invalid value'}. Choose another name.`,
        });
      }
      if (input.size > MAX_DATASET_UPLOAD_BYTES) {
        throw new AppError('BODY_TOO_LARGE', {
          detail: `${input.fileName} is ${input.size} bytes; a dataset upload takes at most ${MAX_DATASET_UPLOAD_BYTES} bytes (5 GiB). Split the extract, or import it with "peytonix datasets import".`,
        });
      }

      return await withActor(db, actor, async (tx) => {
        const entity = await tx
          .selectFrom('entities')
          .select(['id', 'code'])
          .where(({ fn }) => fn('lower', ['code']), '=', input.entityCode.toLowerCase())
          .executeTakeFirst();
        const notFound = () =>
          new AppError('RESOURCE_NOT_FOUND', {
            detail: `No entity ${JSON.stringify(input.entityCode)} is visible to you. List entities with GET /api/v1/entities.`,
          });
        if (entity === undefined) throw notFound();
        await access.authorize(
          tx,
          actor,
          'datasets.import',
          { type: 'entity', id: entity.id, entityId: entity.id },
          { context, notFound },
        );

        const uploadId = randomUUID();
        const objectKey = `dataset-uploads/${uploadId}/${randomBytes(16).toString('hex')}`;
        const sha256 = input.sha256.toLowerCase();
        const expiresAt = new Date(Date.now() + DATASET_UPLOAD_URL_SECONDS * 1000);
        await tx
          .insertInto('dataset_uploads')
          .values({
            id: uploadId,
            entity_id: entity.id,
            dataset_name: name.data,
            file_name: input.fileName,
            declared_size: input.size,
            declared_sha256: Buffer.from(sha256, 'hex'),
            object_key: objectKey,
            declared_by: actor.userId,
            upload_expires_at: expiresAt,
          })
          .execute();
        await appendAuditEvent(tx, {
          actor,
          action: 'dataset.upload_requested',
          outcome: 'success',
          target: { type: 'entity', id: entity.id },
          entityId: entity.id,
          ...(context ? { context } : {}),
          details: {
            uploadId,
            datasetName: name.data,
            fileName: input.fileName,
            size: input.size,
            sha256,
          },
        });

        const storage = await deps.storage();
        const signed = await storage.signedUrl(objectKey, {
          method: 'PUT',
          expiresInSeconds: DATASET_UPLOAD_URL_SECONDS,
          contentType: 'application/octet-stream',
          contentLength: input.size,
          sha256,
        });
        return {
          uploadId,
          upload: {
            method: 'PUT' as const,
            url: signed.url,
            headers: signed.headers,
            expiresAt: signed.expiresAt.toISOString(),
          },
        };
      });
    },

    async preview(actor, uploadId, read, signal) {
      const upload = await loadUpload(actor, uploadId);
      assertNotImported(upload);
      // Reserved before the copy from storage, so a full server copies nothing.
      const slot = deps.datasets.reserveImportSlot('preview');
      const directory = await createWorkDirectoryOrRelease(slot);
      try {
        const filePath = await fetchStaged(upload, directory);
        signal?.throwIfAborted();
        const preview = await deps.datasets.previewFile(
          actor,
          {
            entityCode: upload.entityCode,
            filePath,
            fileName: upload.fileName,
            ...(read.format ? { format: read.format } : {}),
            ...(read.options ? { options: read.options } : {}),
          },
          PREVIEW_ROWS,
          { slot, ...(signal === undefined ? {} : { signal }) },
        );
        return { uploadId: upload.id, ...preview };
      } finally {
        slot.release();
        await rm(directory, { recursive: true, force: true });
      }
    },

    async import(actor, uploadId, read, context) {
      const upload = await loadUpload(actor, uploadId, context);
      assertNotImported(upload);
      const slot = deps.datasets.reserveImportSlot('import');
      const directory = await createWorkDirectoryOrRelease(slot);
      let version: DatasetVersionSummary;
      try {
        const filePath = await fetchStaged(upload, directory);
        version = await deps.datasets.importFile(
          actor,
          {
            entityCode: upload.entityCode,
            datasetName: upload.datasetName,
            filePath,
            fileName: upload.fileName,
            ...(read.description === undefined ? {} : { description: read.description }),
            ...(read.format ? { format: read.format } : {}),
            ...(read.options ? { options: read.options } : {}),
          },
          context,
          { slot },
        );
      } finally {
        slot.release();
        await rm(directory, { recursive: true, force: true });
      }

      // NOTE: two imports of one upload that start together both create a
      // version. Only the first marks the upload, so a third attempt is the
      // first to get a 409.
      await withActor(db, actor, async (tx) => {
        await tx
          .updateTable('dataset_uploads')
          .set({ imported_version_id: version.versionId, imported_at: new Date() })
          .where('id', '=', upload.id)
          .where('imported_at', 'is', null)
          .execute();
      });
      // The version is stored either way; a staged object left behind is only storage.
      const storage = await deps.storage();
      await storage.delete(upload.objectKey).catch((error: unknown) => {
        deps.logger.error(
          { err: error, uploadId: upload.id },
          'could not delete an imported dataset upload from storage',
        );
      });
      return version;
    },
  };
}
