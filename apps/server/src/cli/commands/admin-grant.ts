import { justificationSchema, roleSchema } from '@peytonix/contracts';
import { AppError } from '../../platform/http/app-error.ts';
import { type ActingOptions, withActingRuntime } from '../acting-runtime.ts';
import { type CliIo, EXIT, printResult } from '../cli-io.ts';

interface AdminGrantOptions extends ActingOptions {
  email: string;
  role: string;
  entity: string;
  justification: string;
}

/**
 * Grant a role at once as the acting user, for grants that no one else
 * could approve, such as the first grants of a new organization. A grant
 * that someone else could approve is rejected with a pointer to change
 * requests.
 */
export async function runAdminGrant(io: CliIo, options: AdminGrantOptions): Promise<number> {
  const role = roleSchema.safeParse(options.role);
  if (!role.success) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `Invalid --role ${JSON.stringify(options.role)}. Use one of ${roleSchema.options.join(', ')}.`,
    });
  }
  const justification = justificationSchema.safeParse(options.justification);
  if (!justification.success) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `Invalid --justification: ${justification.error.issues[0]?.message ?? 'invalid value'}.`,
    });
  }

  return await withActingRuntime(io, options, 'admin grant', async (runtime, actor) => {
    const grant = await runtime.services.grants.grantAsSoleApprover(
      actor,
      {
        email: options.email,
        role: role.data,
        entityCode: options.entity,
        justification: justification.data,
      },
      { correlationId: `cli-${process.pid}` },
    );
    printResult(io, options.json === true, grant, [
      `Granted ${grant.role} on ${grant.entityCode} to ${options.email} (grant ${grant.grantId}).`,
      'No one else could approve a request for this grant; the audit trail records it with your justification.',
    ]);
    return EXIT.ok;
  });
}
