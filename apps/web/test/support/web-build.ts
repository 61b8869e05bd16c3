import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WEB_ROOT } from '../../../server/src/cli/commands/start.ts';

const WEB_APP_DIR = fileURLToPath(new URL('../../', import.meta.url));
const CONTRACTS_DIR = fileURLToPath(
  new URL('../../../../packages/contracts/src/', import.meta.url),
);
const BUILD_INPUTS = [
  path.join(WEB_APP_DIR, 'src'),
  path.join(WEB_APP_DIR, 'index.html'),
  path.join(WEB_APP_DIR, 'vite.config.ts'),
  CONTRACTS_DIR,
];

function newestModification(entry: string): number {
  const stats = statSync(entry);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const name of readdirSync(entry)) {
    newest = Math.max(newest, newestModification(path.join(entry, name)));
  }
  return newest;
}

/**
 * Return the directory of the built web app that the server serves, after
 * checking that the build exists and is newer than its sources. The tests
 * do not build it themselves, because test files run in parallel and would
 * write the same directory at once; `npm test` builds it first.
 */
export function builtWebRoot(): string {
  const index = path.join(WEB_ROOT, 'index.html');
  let builtAt: number;
  try {
    builtAt = statSync(index).mtimeMs;
  } catch {
    throw new Error(`${index} is missing. Run npm run build -w @peytonix/web, then the tests.`);
  }
  const changedAt = Math.max(...BUILD_INPUTS.map(newestModification));
  if (changedAt > builtAt) {
    throw new Error(
      `The web app in ${WEB_ROOT} is older than its sources. Run npm run build -w @peytonix/web, then the tests.`,
    );
  }
  return WEB_ROOT;
}
