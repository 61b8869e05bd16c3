import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DEFAULT_DIRECTORY = fileURLToPath(new URL('../../../../../shared/data/', import.meta.url));

/**
 * The directory of the real public datasets: PEYTONIX_REAL_DATA, else
 * ../shared/data beside the repository. Tests read the files in place and
 * never copy them into the repository.
 */
export function realDataDirectory(): string {
  return process.env.PEYTONIX_REAL_DATA ?? DEFAULT_DIRECTORY;
}

/**
 * Return the path of a real data file, or null when it is absent. Absence
 * prints a visible notice so the skipped test is not mistaken for a pass,
 * and under CI=true it throws, because CI must run against the real data.
 */
export function realDataFile(relativePath: string): string | null {
  const file = path.join(realDataDirectory(), relativePath);
  if (existsSync(file)) return file;

  const message = `real data file ${file} is missing; set PEYTONIX_REAL_DATA to the directory that holds it`;
  if (process.env.CI === 'true') {
    throw new Error(`${message} (CI=true requires it)`);
  }
  process.stderr.write(`NOTICE: skipping a real-data test: ${message}\n`);
  return null;
}
