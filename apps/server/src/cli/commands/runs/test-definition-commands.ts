import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { AppError } from '../../../platform/http/app-error.ts';
import { type ActingOptions, withActingRuntime } from '../../acting-runtime.ts';
import { type CliIo, EXIT, printResult } from '../../cli-io.ts';

/** Largest definition file read, so a mistaken path to a data file fails fast. */
const MAX_DEFINITION_BYTES = 1024 * 1024;

interface ImportOptions extends ActingOptions {
  entity: string;
}

async function readDefinition(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  if (Buffer.byteLength(text) > MAX_DEFINITION_BYTES) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `${file} is larger than 1 MiB; a test definition is a small YAML or JSON file.`,
    });
  }
  try {
    // YAML is a superset of JSON, so one parser reads both. maxAliasCount
    // stops alias expansion bombs.
    return path.extname(file).toLowerCase() === '.json'
      ? JSON.parse(text)
      : parse(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `${file} is not valid ${path.extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}

/** Store a YAML or JSON test definition as a new draft version of its test. */
export async function runTestsImport(
  io: CliIo,
  file: string,
  options: ImportOptions,
): Promise<number> {
  const content = await readDefinition(file);
  return await withActingRuntime(io, options, 'tests import', async (runtime, actor) => {
    const drafted = await runtime.services.testDefinitions.importDraft(
      actor,
      options.entity,
      content,
      {
        correlationId: `cli-${process.pid}`,
      },
    );
    printResult(io, options.json === true, drafted, [
      `Drafted ${options.entity}/${drafted.key} version ${drafted.version} (${drafted.versionId}).`,
      `Try it with: peytonix tests run ${drafted.key} --entity ${options.entity} --preview --wait --input NAME=DATASET`,
    ]);
    return EXIT.ok;
  });
}

interface ExportOptions extends ActingOptions {
  entity: string;
  version?: string;
  out?: string;
}

/** Write a test version (the active one unless --version) as YAML, to a file or standard output. */
export async function runTestsExport(
  io: CliIo,
  key: string,
  options: ExportOptions,
): Promise<number> {
  if (options.version !== undefined && !/^\d{1,9}$/.test(options.version)) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `Invalid --version ${options.version}: expected a version number.`,
    });
  }
  return await withActingRuntime(io, options, 'tests export', async (runtime, actor) => {
    const exported = await runtime.services.testDefinitions.export(
      actor,
      options.entity,
      key,
      options.version === undefined ? undefined : Number(options.version),
    );
    const { version, state, ...definition } = exported;
    const text = stringify(definition, { lineWidth: 0 });
    if (options.out !== undefined) {
      await writeFile(options.out, text, { flag: 'wx' });
      printResult(io, options.json === true, { key, version, state, out: options.out }, [
        `Wrote ${key} version ${version} (${state}) to ${options.out}.`,
      ]);
    } else if (options.json === true) {
      printResult(io, true, exported, []);
    } else {
      io.stdout.write(text);
    }
    return EXIT.ok;
  });
}

interface SubmitOptions extends ActingOptions {
  entity: string;
  test: string;
  version: string;
  justification: string;
}

/**
 * Request activation of a draft test version. A reviewer or administrator
 * other than the version's preparer approves the printed request with its
 * diffSha256.
 */
export async function runTestsSubmit(io: CliIo, options: SubmitOptions): Promise<number> {
  if (!/^\d{1,9}$/.test(options.version)) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `Invalid --version ${options.version}: expected a version number.`,
    });
  }
  return await withActingRuntime(io, options, 'tests submit', async (runtime, actor) => {
    const request = await runtime.services.testDefinitions.requestActivation(
      actor,
      {
        entity: options.entity,
        test: options.test,
        version: Number(options.version),
        justification: options.justification,
      },
      { correlationId: `cli-${process.pid}` },
    );
    printResult(io, options.json === true, request, [
      `Requested activation of ${options.entity}/${options.test} version ${options.version} as change request ${request.id} (${request.status}).`,
      `  diffSha256  ${request.diffSha256}`,
      `  expires     ${request.expiresAt}`,
      `A reviewer who did not prepare the version approves it with POST /api/v1/change-requests/${request.id}/approve and this diffSha256.`,
    ]);
    return EXIT.ok;
  });
}
