import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Role } from '../../../server/src/modules/access/permissions.ts';
import type { UserActor } from '../../../server/src/modules/identity/actor.ts';
import {
  createEntityDirectly,
  grantRoleDirectly,
} from '../../../server/test/support/entity-fixtures.ts';
import {
  duplicatePaymentsCsv,
  runDuplicatePayments,
} from '../../../server/test/support/exception-fixtures.ts';
import type { E2eServer } from './e2e-server.ts';
import {
  createUserWithPassword,
  createUserWithTotp,
  type EnrolledUser,
} from './identity-fixtures.ts';

// runDuplicatePayments imports the payments and runs the test through the services, as the CLI does.
export { duplicatePaymentsCsv, runDuplicatePayments };

export const TEST_KEY = 'duplicate-payments-exact';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Create an engagement with code `code` below `parentCode`, as the database owner. */
export async function createEngagement(server: E2eServer, code: string, parentCode: string) {
  await createEntityDirectly(server.ownerUrl, { code, parentCode, type: 'engagement' });
}

/** Create a user with TOTP and give them `role` on `entityCode`. */
export async function createUserWithRole(
  server: E2eServer,
  admin: UserActor,
  user: { email: string; displayName: string; role: Role; entityCode: string },
): Promise<EnrolledUser> {
  const enrolled = await createUserWithTotp(server, admin, user);
  await grantRoleDirectly(server.ownerUrl, {
    email: user.email,
    role: user.role,
    entityCode: user.entityCode,
  });
  return enrolled;
}

/**
 * Create a preparer on `entityCode` who never signs in to a browser, and
 * return them as an actor for the services, as the CLI acts.
 */
export async function createPreparerActor(
  server: E2eServer,
  admin: UserActor,
  email: string,
  entityCode: string,
): Promise<UserActor> {
  await createUserWithPassword(server, admin, { email, displayName: 'Sam Seeder' });
  await grantRoleDirectly(server.ownerUrl, { email, role: 'preparer', entityCode });
  return (await server.services.identity.resolveCliActor(email)) as UserActor;
}

/** Return a user of the database as an actor for the services. */
export async function actorOf(server: E2eServer, email: string): Promise<UserActor> {
  return (await server.services.identity.resolveCliActor(email)) as UserActor;
}

/**
 * Import `csv` as a new version of the dataset `datasetName` (Payments by
 * default) in `entityCode` through the services, as `peytonix datasets import` does, for tests that
 * need the data but not the import screen.
 */
export async function importPayments(
  server: E2eServer,
  actor: UserActor,
  entityCode: string,
  csv: string,
  datasetName = 'Payments',
) {
  const directory = mkdtempSync(path.join(tmpdir(), 'peytonix-e2e-import-'));
  const file = path.join(directory, 'payments.csv');
  writeFileSync(file, csv);
  return await server.services.datasets.importFile(actor, {
    entityCode,
    datasetName,
    filePath: file,
    fileName: 'payments.csv',
  });
}

/**
 * Execute a queued run as a worker would. The e2e server starts no
 * workers, so a run stays queued until a test calls this.
 */
export async function executeRun(server: E2eServer, runId: string, actor: UserActor) {
  const outcome = await server.services.runs.execute(runId, actor.userId);
  if (outcome?.status !== 'succeeded') {
    throw new Error(`run ${runId} ended ${outcome?.status}: ${outcome?.errorMessage}`);
  }
}
