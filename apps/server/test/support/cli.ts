import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/main.ts';

export const BIN = fileURLToPath(new URL('../../bin/peytonix.js', import.meta.url));

function collector() {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { stream, read: () => text };
}

/** Run the CLI in-process with its own environment and captured output. */
export async function runCliCaptured(argv: string[], env: Record<string, string | undefined>) {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(argv, { stdout: stdout.stream, stderr: stderr.stream, env });
  return { code, stdout: stdout.read(), stderr: stderr.read() };
}

/** Environment for a child `peytonix` process: no inherited PEYTONIX_ or DATABASE_ values. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('PEYTONIX_') && key !== 'DATABASE_URL') env[key] = value;
  }
  return { ...env, ...extra };
}

/** Run `peytonix` as a child process with the same Node.js binary and wait for it. */
export function runBin(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
