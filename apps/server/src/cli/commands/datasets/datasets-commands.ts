import path from 'node:path';
import type { DatasetFormat } from '../../../platform/db/schema.ts';
import { type ActingOptions, withActingRuntime } from '../../acting-runtime.ts';
import { type CliIo, EXIT, printResult } from '../../cli-io.ts';
import { type ParseOptionFlags, toParseOptions } from './parse-option-flags.ts';

interface ImportOptions extends ActingOptions, ParseOptionFlags {
  entity: string;
  name: string;
  description?: string;
}

/** Import a file as a new version of a dataset and print its id, row count and fingerprint. */
export async function runDatasetsImport(
  io: CliIo,
  file: string,
  options: ImportOptions,
): Promise<number> {
  const parseOptions = toParseOptions(options);
  return await withActingRuntime(io, options, 'datasets import', async (runtime, actor) => {
    const version = await runtime.services.datasets.importFile(
      actor,
      {
        entityCode: options.entity,
        datasetName: options.name,
        filePath: path.resolve(file),
        fileName: path.basename(file),
        options: parseOptions,
        ...(options.description !== undefined ? { description: options.description } : {}),
        ...(options.format !== undefined ? { format: options.format as DatasetFormat } : {}),
      },
      { correlationId: `cli-${process.pid}` },
    );
    printResult(io, options.json === true, version, [
      `Imported ${version.sourceFileName} as ${version.entityCode}/${version.datasetName} version ${version.version}.`,
      `  version id   ${version.versionId}`,
      `  rows         ${version.rowCount}`,
      `  sha256       ${version.sha256}`,
      `  parquet      ${version.parquetSha256}`,
      `  columns      ${version.columns.map((column) => `${column.name} ${column.type}`).join(', ')}`,
      ...version.warnings.map((warning) => `  warning      ${warning}`),
    ]);
    return EXIT.ok;
  });
}

export async function runDatasetsList(io: CliIo, options: ActingOptions): Promise<number> {
  return await withActingRuntime(io, options, 'datasets list', async (runtime, actor) => {
    const datasets = await runtime.services.datasets.listInScope(actor);
    printResult(
      io,
      options.json === true,
      { datasets },
      datasets.length === 0
        ? ['No datasets are in your scope.']
        : datasets.map(
            (dataset) =>
              `${dataset.entityCode}/${dataset.name}  v${dataset.latestVersion}  ${dataset.id}`,
          ),
    );
    return EXIT.ok;
  });
}

interface ShowOptions extends ActingOptions {
  entity: string;
}

/** Print a dataset's versions with their schemas and fingerprints. */
export async function runDatasetsShow(
  io: CliIo,
  name: string,
  options: ShowOptions,
): Promise<number> {
  return await withActingRuntime(io, options, 'datasets show', async (runtime, actor) => {
    const dataset = await runtime.services.datasets.show(actor, options.entity, name);
    const lines = [
      `${dataset.entityCode}/${dataset.name} (${dataset.id}), ${dataset.versions.length} versions`,
    ];
    for (const version of dataset.versions) {
      lines.push(
        '',
        `version ${version.version}  ${version.versionId}  ${version.createdAt}`,
        `  file     ${version.sourceFileName} (${version.sourceFormat}, ${version.rawSize} bytes)`,
        `  rows     ${version.rowCount}`,
        `  sha256   ${version.sha256}`,
        `  parquet  ${version.parquetSha256}`,
        ...version.columns.map(
          (column) =>
            `  column   ${column.name}  ${column.type}${column.nullable ? '' : ' NOT NULL'}`,
        ),
      );
    }
    printResult(io, options.json === true, dataset, lines);
    return EXIT.ok;
  });
}
