import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { SandboxError } from './sandbox-errors.ts';
import { IDENTIFIER_PATTERN } from './statement-check.ts';

/** A Parquet file that the query reads as the view `name`. */
export interface SandboxInput {
  name: string;
  parquetPath: string;
  /**
   * Logical field names mapped to the file's column names. The view shows
   * each field under its own name, so template SQL works on any extract;
   * a file column with a field's name but mapped elsewhere is hidden. A
   * field mapped to null reads as a column of NULLs, for optional fields
   * that the extract does not have.
   */
  fields?: Readonly<Record<string, string | null>>;
}

/** An input whose name is checked and whose path is the file's canonical real path. */
export interface ResolvedInput {
  name: string;
  path: string;
  fields: Readonly<Record<string, string | null>>;
}

/** Check for the characters rejected in paths: the SQL quote and control characters, NUL included. */
function hasUnsafePathCharacter(text: string): boolean {
  for (const character of text) {
    const code = character.charCodeAt(0);
    if (character === "'" || code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function invalidInput(message: string, cause?: unknown): SandboxError {
  return new SandboxError('INPUT_INVALID', message, { cause });
}

/** Check that `candidate` is an absolute, normalized path without unsafe characters. */
function checkPathText(label: string, candidate: unknown): string {
  if (typeof candidate !== 'string' || candidate === '') {
    throw invalidInput(`${label} is missing.`);
  }
  if (hasUnsafePathCharacter(candidate)) {
    throw invalidInput(
      `${label} ${JSON.stringify(candidate)} contains a quote or control character.`,
    );
  }
  if (!path.isAbsolute(candidate) || path.normalize(candidate) !== candidate) {
    throw invalidInput(
      `${label} ${JSON.stringify(candidate)} must be an absolute path without "." or ".." segments.`,
    );
  }
  return candidate;
}

async function canonicalPath(label: string, candidate: string): Promise<string> {
  try {
    return await realpath(candidate);
  } catch (error) {
    throw invalidInput(`${label} ${JSON.stringify(candidate)} was not found.`, error);
  }
}

/**
 * Check the inputs of a run and resolve each file to its real path.
 *
 * Each name must match IDENTIFIER_PATTERN and be unique. Each path must be
 * absolute and normalized, contain no quote or control character, and
 * resolve (after following symbolic links) to a regular file inside
 * `inputRoot`. The real path is what DuckDB gets, both in the view and in
 * `allowed_paths`, so a link cannot point the view at another file.
 */
export async function resolveInputs(
  inputs: readonly SandboxInput[],
  inputRoot: string,
): Promise<ResolvedInput[]> {
  const rootText = checkPathText('Input root', inputRoot);
  const root = await canonicalPath('Input root', rootText);
  const rootStats = await stat(root);
  if (!rootStats.isDirectory()) {
    throw invalidInput(`Input root ${JSON.stringify(rootText)} is not a directory.`);
  }

  const names = new Set<string>();
  const resolved: ResolvedInput[] = [];
  for (const input of inputs) {
    const { name } = input;
    if (typeof name !== 'string' || !IDENTIFIER_PATTERN.test(name)) {
      throw invalidInput(
        `Input name ${JSON.stringify(name)} is invalid. Use 1 to 63 lowercase letters, digits ` +
          'and underscores, starting with a letter.',
      );
    }
    if (names.has(name)) throw invalidInput(`Input name ${JSON.stringify(name)} is used twice.`);
    names.add(name);

    const label = `Input ${name} path`;
    const realPath = await canonicalPath(label, checkPathText(label, input.parquetPath));
    // The real path is checked again: a directory name on the way may contain a quote.
    checkPathText(label, realPath);
    if (!realPath.startsWith(root + path.sep)) {
      throw invalidInput(
        `${label} ${JSON.stringify(input.parquetPath)} is outside the input directory ${JSON.stringify(rootText)}.`,
      );
    }
    const fileStats = await stat(realPath);
    if (!fileStats.isFile()) {
      throw invalidInput(`${label} ${JSON.stringify(input.parquetPath)} is not a regular file.`);
    }
    for (const field of Object.keys(input.fields ?? {})) {
      if (!IDENTIFIER_PATTERN.test(field)) {
        throw invalidInput(
          `Field name ${JSON.stringify(field)} of input ${name} is invalid. Use lowercase letters, digits and underscores, starting with a letter.`,
        );
      }
    }
    resolved.push({ name, path: realPath, fields: input.fields ?? {} });
  }
  return resolved;
}

/** Quote `text` as a SQL string literal. Callers pass checked paths, so doubling quotes is a second guard. */
export function sqlStringLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Quote a name that matches IDENTIFIER_PATTERN as a SQL identifier. */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
