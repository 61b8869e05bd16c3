import path from 'node:path';
import type { UserOutcome } from '../../modules/demo/demo-accounts.ts';
import { type DemoSeedReport, seedDemoWorkspace } from '../../modules/demo/demo-seed.ts';
import { openRuntime } from '../../runtime.ts';
import { prepareCommand } from '../cli-context.ts';
import { type CliIo, EXIT, printResult } from '../cli-io.ts';

interface DemoSeedOptions {
  dataDir?: string;
  json?: boolean;
}

/** Folder of the data directory that receives the synthetic CSV files. */
const DEMO_DATA_FOLDER = 'demo-data';

/** Lay out rows as left-aligned columns, two spaces apart. */
function table(rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
        .join('  '),
  );
}

function passwordText(user: UserOutcome): string {
  if (user.password !== null) return `password ${user.password}`;
  return user.hasPassword ? 'password set earlier, not shown again' : 'no password';
}

function reportLines(report: DemoSeedReport): string[] {
  const lines = [
    'Peytonix demo workspace. SYNTHETIC DATA: every person, company, account and amount is invented.',
    '',
    `Synthetic files: ${report.dataDirectory} (${report.filesWritten.length === 0 ? 'unchanged' : `${report.filesWritten.length} written`})`,
    '',
    'Entities',
    ...table(
      report.entities.map((entity) => [
        entity.code,
        entity.type,
        entity.created ? 'created' : 'existing',
      ]),
    ),
    '',
    `Users, each granted their role on ${report.entities[1]?.code ?? 'the demo business unit'}, except the administrator, who administers ${report.entities[0]?.code ?? 'the organization root'}`,
    ...table(
      report.users.map((user) => [
        user.email,
        user.role,
        user.created ? 'created' : `existing${user.status === 'active' ? '' : ` (${user.status})`}`,
        passwordText(user),
      ]),
    ),
  ];
  if (report.users.some((user) => user.password !== null)) {
    lines.push(
      'Each password is shown only this once; the database stores its argon2id hash. Keep them now.',
    );
  }

  lines.push(
    '',
    `Datasets in ${report.entities[2]?.code ?? 'the demo engagement'}, imported as ${report.preparer}`,
    ...table(
      report.datasets.map((dataset) => [
        dataset.name,
        `${dataset.rowCount} rows`,
        `v${dataset.version}`,
        dataset.imported
          ? 'imported'
          : `existing${dataset.sameContent ? '' : ' (other content than the generated file)'}`,
      ]),
    ),
    '',
    `Library tests, run as ${report.preparer}`,
    ...table([
      ['template', 'exceptions', 'expected', 'result hash'],
      ...report.runs.map((run) => [
        run.template,
        run.status === 'succeeded' ? String(run.exceptionCount) : run.status,
        `${run.expectedCount} ${run.expectedSource}${run.matches ? '' : ' MISMATCH'}`,
        run.resultHash ?? '-',
      ]),
    ]),
    'Planted counts are anomalies put into the data on purpose. Computed counts are the Benford',
    "digits that the generator's own z-test flags on the same amounts.",
    report.mismatches.length === 0
      ? `All ${report.runs.length} templates flagged the expected number of exceptions.`
      : `${report.mismatches.length} templates did not flag the expected number of exceptions: ${report.mismatches.join(', ')}.`,
    '',
    `Sign in at ${report.signInUrl} as one of the demo users.`,
    report.mfaRequired
      ? 'PEYTONIX_MFA_REQUIRED is on, so a demo user without a second factor enrols one (an authenticator app or a passkey) at the next sign-in. The enrolment page shows the authenticator key as text too, for any TOTP tool.'
      : 'PEYTONIX_MFA_REQUIRED is off, so the password alone signs a demo user in.',
  );
  if (!report.changed) {
    lines.push('', 'Nothing changed: the demo workspace was already complete.');
  }
  return lines;
}

/**
 * Create or complete the demo workspace and print what it contains, with
 * the passwords of users created now. Exits 1 when a template's run did
 * not flag the expected number of exceptions.
 */
export async function runDemoSeed(io: CliIo, options: DemoSeedOptions): Promise<number> {
  const { config, logger } = prepareCommand(io, options, false);
  const runtime = await openRuntime(config, logger, {
    command: 'demo seed',
    exclusive: false,
    migrate: true,
  });
  try {
    const report = await seedDemoWorkspace({
      runtime,
      dataDirectory: path.resolve(config.dataDir, DEMO_DATA_FOLDER),
      signInUrl: config.identity.publicOrigin,
      mfaRequired: config.identity.mfaRequired,
      context: { correlationId: `cli-${process.pid}` },
      progress: (line) => io.stderr.write(`demo seed: ${line}\n`),
    });
    printResult(io, options.json === true, report, reportLines(report));
    return report.mismatches.length === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await runtime.close();
  }
}
