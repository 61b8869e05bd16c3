import { PEYTONIX_VERSION } from '../../version.ts';
import { type CliIo, EXIT, printResult } from '../cli-io.ts';

export function runVersion(io: CliIo, options: { json?: boolean }): number {
  const data = { version: PEYTONIX_VERSION, node: process.versions.node };
  printResult(io, options.json === true, data, [`peytonix ${data.version} (Node.js ${data.node})`]);
  return EXIT.ok;
}
