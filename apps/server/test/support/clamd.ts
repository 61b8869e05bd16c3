import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClamdScanner } from '../../src/platform/scanning/clamd-client.ts';

/** The EICAR anti-virus test file, which every scanner must report. */
export const EICAR = Buffer.from(
  'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*',
  'latin1',
);

/** A file that one of our own signatures matches by its MD5, as a second hash signature. */
export const PEYTONIX_HASH_SAMPLE = Buffer.from('Peytonix test sample: flagged by its MD5.\n');

/** Text that our body signature matches anywhere in a file. */
export const PEYTONIX_BODY_MARKER = 'PEYTONIX-MALWARE-TEST-MARKER';

const CLAMD = '/usr/sbin/clamd';

/** Whether Debian's clamav-daemon is installed; `.ci/run` installs it. */
export const clamdInstalled = existsSync(CLAMD);

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/**
 * Write the signature database the tests use, because no signature download is
 * possible here: EICAR's MD5 (`.hdb`: md5:size:name), the MD5 of our own
 * sample, and a body signature (`.ndb`: name:target:offset:hex, target 0 for
 * any file) that matches PEYTONIX_BODY_MARKER anywhere.
 */
function writeSignatures(directory: string): void {
  writeFileSync(
    path.join(directory, 'peytonix-test.hdb'),
    [
      `${md5(EICAR)}:${EICAR.length}:Eicar-Test-Signature`,
      `${md5(PEYTONIX_HASH_SAMPLE)}:${PEYTONIX_HASH_SAMPLE.length}:Peytonix.Test.HashSample`,
      '',
    ].join('\n'),
  );
  writeFileSync(
    path.join(directory, 'peytonix-test.ndb'),
    `Peytonix.Test.BodyMarker:0:*:${Buffer.from(PEYTONIX_BODY_MARKER).toString('hex')}\n`,
  );
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'));
        else resolve(address.port);
      });
    });
  });
}

export interface TestClamd {
  address: { host: string; port: number };
  /** Stop clamd; scans then fail as unreachable. */
  stop(): Promise<void>;
  /** Start clamd again on the same port with the same settings. */
  start(): Promise<void>;
  /** Stop clamd and remove its files. */
  close(): Promise<void>;
}

/**
 * Start a private clamd on a free loopback port with the test signatures.
 * `streamMaxLength` is clamd's StreamMaxLength, the largest INSTREAM it
 * accepts. `alertExceedsMax` (default true) makes clamd report content
 * beyond its limits instead of passing it as clean. Waits until clamd replies to PING (loading takes a few seconds).
 */
export async function startTestClamd(
  options: { streamMaxLength?: string; alertExceedsMax?: boolean } = {},
): Promise<TestClamd> {
  const directory = mkdtempSync(path.join(tmpdir(), 'peytonix-clamd-'));
  const databaseDirectory = path.join(directory, 'db');
  mkdirSync(databaseDirectory);
  writeSignatures(databaseDirectory);
  const port = await freePort();
  const configFile = path.join(directory, 'clamd.conf');
  writeFileSync(
    configFile,
    [
      `TCPSocket ${port}`,
      'TCPAddr 127.0.0.1',
      `DatabaseDirectory ${databaseDirectory}`,
      'Foreground true',
      `LogFile ${path.join(directory, 'clamd.log')}`,
      `StreamMaxLength ${options.streamMaxLength ?? '25M'}`,
      // Debian's clamd.conf value; the limit canary nests deeper than this.
      'MaxRecursion 16',
      `AlertExceedsMax ${options.alertExceedsMax === false ? 'no' : 'yes'}`,
      'MaxThreads 4',
      '',
    ].join('\n'),
  );
  const address = { host: '127.0.0.1', port };
  const scanner = createClamdScanner({ address, timeoutMs: 1_000 });
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(CLAMD, ['-c', configFile], { stdio: 'ignore' });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (await scanner.ping()) return;
      if (child.exitCode !== null)
        throw new Error(`clamd exited with ${child.exitCode}; see ${directory}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`clamd did not answer PING within 60 s; see ${directory}`);
  };
  const stop = async () => {
    const running = child;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    address,
    stop,
    start,
    async close() {
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
