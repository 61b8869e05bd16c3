import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasExited } from '../support/child-processes.ts';
import { waitFor } from '../support/wait-for.ts';

const HARNESS = fileURLToPath(new URL('../support/shutdown-harness.ts', import.meta.url));

interface Harness {
  process: ChildProcess;
  /** Pid of the harness's import child. */
  childPid: number;
  output: () => string;
  exit: Promise<number | null>;
}

async function startHarness(workDir: string, mode: 'graceful' | 'stuck', graceMs: number) {
  const harness = spawn(process.execPath, [HARNESS, workDir, mode, String(graceMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  harness.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  harness.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => harness.once('exit', resolve));

  await waitFor(() => /^child \d+$/m.test(output) || harness.exitCode !== null, 30_000);
  const match = /^child (\d+)$/m.exec(output);
  if (match === null) throw new Error(`the harness did not start its import child:\n${output}`);
  return {
    process: harness,
    childPid: Number(match[1]),
    output: () => output,
    exit,
  } satisfies Harness;
}

describe('shutdown signals', () => {
  let workDir: string;
  let harness: Harness | undefined;

  beforeEach(() => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'peytonix-shutdown-'));
  });

  afterEach(async () => {
    if (harness !== undefined && harness.process.exitCode === null) {
      harness.process.kill('SIGKILL');
      await harness.exit;
    }
    if (harness !== undefined && !hasExited(harness.childPid)) {
      process.kill(harness.childPid, 'SIGKILL');
    }
    harness = undefined;
    rmSync(workDir, { recursive: true, force: true });
  });

  it('kills a running import child after the grace period', async () => {
    harness = await startHarness(workDir, 'graceful', 500);

    harness.process.kill('SIGTERM');

    expect(await harness.exit).toBe(0);
    expect(hasExited(harness.childPid)).toBe(true);
    expect(harness.output()).toContain('"reason":"grace period over"');
    expect(harness.output()).toContain('"msg":"killed child processes at shutdown"');
    expect(harness.output()).toContain('"msg":"stopped"');
  });

  it('exits at once on a second signal', async () => {
    harness = await startHarness(workDir, 'stuck', 600_000);
    const running = harness;

    running.process.kill('SIGTERM');
    await waitFor(() => running.output().includes('"msg":"shutting down"'));
    running.process.kill('SIGTERM');

    expect(await running.exit).toBe(1);
    expect(hasExited(running.childPid)).toBe(true);
    expect(running.output()).toContain('"msg":"received a second signal; exiting now"');
    expect(running.output()).toContain('"reason":"second signal"');
  });
});
