import { readFile } from 'node:fs/promises';
import type { SignedCheckpoint } from '../../../modules/audit-trail/checkpoints/checkpoint-body.ts';
import { verifyExport } from '../../../modules/audit-trail/export/verify-export.ts';
import { sealPendingEvents } from '../../../modules/audit-trail/sealing/seal-pending.ts';
import type { VerificationReport } from '../../../modules/audit-trail/verification/damage.ts';
import { verifyDatabase } from '../../../modules/audit-trail/verification/verify-database.ts';
import { AppError } from '../../../platform/http/app-error.ts';
import { openCheckpointKey } from '../../../platform/keys/key-provider.ts';
import { readEd25519PublicKey } from '../../../platform/keys/signing-key.ts';
import { openRuntime } from '../../../runtime.ts';
import { prepareCommand } from '../../cli-context.ts';
import { type CliIo, EXIT, printResult } from '../../cli-io.ts';
import { readTrustedCheckpoints } from './trusted-checkpoints.ts';

export interface VerifyOptions {
  export?: string;
  publicKey?: string;
  trustedCheckpoint?: string;
  dataDir?: string;
  json?: boolean;
}

async function readPublicKeyFile(file: string) {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `Cannot read --public-key ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}. Pass the PEM file that peytonix audit public-key printed.`,
    });
  }
  if (pem.includes('PRIVATE KEY')) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `--public-key ${file} holds a private key. Pass the public key that peytonix audit public-key printed, and keep the private key where it was.`,
    });
  }
  try {
    return readEd25519PublicKey(pem);
  } catch {
    throw new AppError('VALIDATION_FAILED', {
      detail: `--public-key ${file} is not an Ed25519 public key in PEM form. Pass the file that peytonix audit public-key printed.`,
    });
  }
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function reportLines(report: VerificationReport): string[] {
  if (report.damage?.kind === 'bad_checkpoint_signature') {
    const { seq, kind, message } = report.damage;
    return [`Audit trail not verified at event ${seq} (${kind}): ${message}.`];
  }
  if (report.damage !== null) {
    const { seq, kind, message } = report.damage;
    return [`Audit trail damaged at event ${seq} (${kind}): ${message}.`];
  }
  const lines = [
    `Audit trail intact: ${count(report.events, 'event')}, ${count(report.checkpoints, 'signed checkpoint')}, signed through event ${report.signedSize}.`,
  ];
  if (report.signedSize === 0 && report.events > 0) {
    lines.push(
      'No signed checkpoint covers these events, so nothing proves they were not rewritten. Pass --trusted-checkpoint with a checkpoint kept outside the database.',
    );
  } else if (report.events > report.signedSize) {
    lines.push(
      `Events ${report.signedSize + 1} to ${report.events} are chained but not yet covered by a signed checkpoint.`,
    );
  }
  return lines;
}

async function verifyOffline(
  file: string,
  publicKeyFile: string,
  trusted: readonly SignedCheckpoint[],
): Promise<VerificationReport> {
  const publicKey = await readPublicKeyFile(publicKeyFile);
  try {
    return await verifyExport(file, publicKey, trusted);
  } catch (error) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `Cannot read --export ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}. Pass the file that peytonix audit export wrote.`,
      internal: error,
    });
  }
}

async function verifyOnline(
  io: CliIo,
  options: VerifyOptions,
  trusted: readonly SignedCheckpoint[],
): Promise<VerificationReport> {
  const { config, logger } = prepareCommand(io, options, false);
  const runtime = await openRuntime(config, logger, {
    command: 'audit verify',
    exclusive: false,
    migrate: false,
  });
  try {
    const db = runtime.database.db;
    const publicKey =
      options.publicKey === undefined
        ? readEd25519PublicKey(
            (await openCheckpointKey(config, { create: false, db })).publicKeyPem,
          )
        : await readPublicKeyFile(options.publicKey);
    await sealPendingEvents(db);

    return await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute((tx) => verifyDatabase(tx, publicKey, trusted));
  } finally {
    await runtime.close();
  }
}

/**
 * Verify the database's chain and checkpoints, or, with --export and
 * --public-key, an export file with no database at all. Exit 1 on damage.
 */
export async function runAuditVerify(io: CliIo, options: VerifyOptions): Promise<number> {
  if (options.export !== undefined && options.publicKey === undefined) {
    throw new AppError('VALIDATION_FAILED', {
      detail:
        '--export needs --public-key: an export is only verified against a key you obtained separately.',
    });
  }

  const trusted =
    options.trustedCheckpoint === undefined
      ? []
      : await readTrustedCheckpoints(options.trustedCheckpoint);
  const report =
    options.export === undefined
      ? await verifyOnline(io, options, trusted)
      : await verifyOffline(options.export, options.publicKey ?? '', trusted);

  printResult(io, options.json === true, report, reportLines(report));
  return report.intact ? EXIT.ok : EXIT.failed;
}
