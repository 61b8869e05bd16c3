import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.ts';
import type { DatasetColumn, DatasetFormat } from '../../platform/db/schema.ts';

export async function findDatasetByName(db: Db | Tx, entityId: string, name: string) {
  return await db
    .selectFrom('datasets')
    .selectAll()
    .where('entity_id', '=', entityId)
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
    .executeTakeFirst();
}

export async function findDatasetById(db: Db | Tx, datasetId: string) {
  return await db.selectFrom('datasets').selectAll().where('id', '=', datasetId).executeTakeFirst();
}

/** Insert the dataset unless one of that name exists in the entity; return it either way. */
export async function ensureDataset(
  tx: Tx,
  dataset: { entityId: string; name: string; description: string; createdBy: string },
) {
  await tx
    .insertInto('datasets')
    .values({
      entity_id: dataset.entityId,
      name: dataset.name,
      description: dataset.description,
      created_by: dataset.createdBy,
    })
    .onConflict((conflict) => conflict.expression(sql`entity_id, lower(name)`).doNothing())
    .execute();
  const row = await findDatasetByName(tx, dataset.entityId, dataset.name);
  if (row === undefined) throw new Error(`dataset ${dataset.name} vanished after insert`);
  return row;
}

/** Take the next version number of a dataset under a row lock. */
export async function nextVersionNumber(tx: Tx, datasetId: string): Promise<number> {
  const row = await tx
    .updateTable('datasets')
    .set((eb) => ({ latest_version: eb('latest_version', '+', 1) }))
    .where('id', '=', datasetId)
    .returning('latest_version')
    .executeTakeFirstOrThrow();
  return row.latest_version;
}

export interface NewDatasetVersion {
  id: string;
  datasetId: string;
  version: number;
  sourceFileName: string;
  sourceFormat: DatasetFormat;
  parseOptions: Record<string, unknown>;
  rawObjectKey: string;
  rawSha256: Buffer;
  rawSize: number;
  parquetObjectKey: string;
  parquetSha256: Buffer;
  parquetSize: number;
  columns: DatasetColumn[];
  rowCount: number;
  createdBy: string;
  importWarnings: readonly string[];
}

export async function insertDatasetVersion(tx: Tx, version: NewDatasetVersion) {
  return await tx
    .insertInto('dataset_versions')
    .values({
      id: version.id,
      dataset_id: version.datasetId,
      version: version.version,
      source_file_name: version.sourceFileName,
      source_format: version.sourceFormat,
      parse_options: JSON.stringify(version.parseOptions),
      raw_object_key: version.rawObjectKey,
      raw_sha256: version.rawSha256,
      raw_size: version.rawSize,
      parquet_object_key: version.parquetObjectKey,
      parquet_sha256: version.parquetSha256,
      parquet_size: version.parquetSize,
      columns: JSON.stringify(version.columns),
      row_count: version.rowCount,
      created_by: version.createdBy,
      import_warnings: JSON.stringify(version.importWarnings),
    })
    .returning(['id', 'created_at'])
    .executeTakeFirstOrThrow();
}

const versionColumns = [
  'dataset_versions.id',
  'dataset_versions.dataset_id',
  'dataset_versions.version',
  'dataset_versions.source_file_name',
  'dataset_versions.source_format',
  'dataset_versions.parse_options',
  'dataset_versions.raw_object_key',
  'dataset_versions.raw_sha256',
  'dataset_versions.raw_size',
  'dataset_versions.parquet_object_key',
  'dataset_versions.parquet_sha256',
  'dataset_versions.parquet_size',
  'dataset_versions.columns',
  'dataset_versions.row_count',
  'dataset_versions.created_by',
  'dataset_versions.created_at',
  'dataset_versions.import_warnings',
] as const;

export type DatasetVersionRow = Awaited<ReturnType<typeof listDatasetVersions>>[number];

export async function listDatasetVersions(db: Db | Tx, datasetId: string) {
  return await db
    .selectFrom('dataset_versions')
    .select(versionColumns)
    .where('dataset_id', '=', datasetId)
    .orderBy('version', 'desc')
    .limit(1000)
    .execute();
}

export async function findDatasetVersion(
  db: Db | Tx,
  datasetId: string,
  version: number | 'latest',
) {
  let query = db
    .selectFrom('dataset_versions')
    .select(versionColumns)
    .where('dataset_id', '=', datasetId);
  query =
    version === 'latest'
      ? query.orderBy('version', 'desc').limit(1)
      : query.where('version', '=', version);
  return await query.executeTakeFirst();
}

/**
 * Datasets of the given entities, with their latest version numbers. Row-level
 * security already limits the rows to the actor's scope; `entityIds` narrows
 * them to the entities where the actor may read datasets.
 */
export async function listDatasetsOfEntities(tx: Tx, entityIds: readonly string[]) {
  if (entityIds.length === 0) return [];
  return await tx
    .selectFrom('datasets')
    .innerJoin('entities', 'entities.id', 'datasets.entity_id')
    .select([
      'datasets.id',
      'datasets.entity_id',
      'entities.code as entity_code',
      'datasets.name',
      'datasets.description',
      'datasets.latest_version',
      'datasets.created_at',
    ])
    .where('datasets.entity_id', 'in', entityIds)
    .orderBy('entities.code')
    .orderBy('datasets.name')
    .limit(1000)
    .execute();
}
