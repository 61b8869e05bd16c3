import type { Writable } from 'node:stream';

/** Exit codes of every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: Readonly<Record<string, string | undefined>>;
}

/** Print a result as JSON (`--json`) or as the given text lines. */
export function printResult(io: CliIo, json: boolean, data: unknown, lines: string[]) {
  if (json) {
    io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    return;
  }
  io.stdout.write(`${lines.join('\n')}\n`);
}

/** Raised by a command whose check or operation failed; maps to exit code 1. */
export class CommandFailure extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'CommandFailure';
    this.code = code;
  }
}
