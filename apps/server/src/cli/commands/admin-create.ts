import { openRuntime } from '../../runtime.ts';
import { prepareCommand } from '../cli-context.ts';
import { type CliIo, EXIT, printResult } from '../cli-io.ts';

interface AdminCreateOptions {
  email: string;
  name?: string;
  organization: string;
  organizationCode: string;
  dataDir?: string;
  json?: boolean;
}

/**
 * Create the first administrator and, on an empty database, the
 * organization root. The setup secret is printed here once; the database
 * keeps only its hash.
 */
export async function runAdminCreate(io: CliIo, options: AdminCreateOptions): Promise<number> {
  const { config, logger } = prepareCommand(io, options, false);
  const runtime = await openRuntime(config, logger, {
    command: 'admin create',
    exclusive: false,
    migrate: true,
  });
  try {
    const created = await runtime.services.identity.createFirstAdministrator({
      email: options.email,
      displayName: options.name ?? options.email,
      organizationName: options.organization,
      organizationCode: options.organizationCode,
    });
    printResult(io, options.json === true, created, [
      `Created administrator ${created.email} (user ${created.userId}).`,
      '',
      `One-time setup secret (shown once, expires ${created.setupSecretExpiresAt}):`,
      `  ${created.setupSecret}`,
      '',
      'Give it to the administrator over a trusted channel. It cannot be shown again.',
      'They set their password with it: POST /api/v1/auth/setup {"setupSecret": ..., "password": ...}.',
    ]);
    return EXIT.ok;
  } finally {
    await runtime.close();
  }
}
