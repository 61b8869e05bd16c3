import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Actor } from '../../src/modules/identity/actor.ts';
import { createEntityDirectly } from './entity-fixtures.ts';
import type { TestApp } from './test-app.ts';

/** CSV rows of a payment ledger in which each vendor of `vendors` was paid the same invoice twice. */
export function duplicatePaymentsCsv(vendors: readonly string[]): string {
  const rows = vendors.flatMap((vendor, index) => [
    `${vendor},INV-${index + 1},${100 + index}.00,2024-01-0${(index % 8) + 1}`,
    `${vendor},INV-${index + 1},${100 + index}.00,2024-02-0${(index % 8) + 1}`,
  ]);
  return `vendor_id,invoice_number,amount,payment_date\n${rows.join('\n')}\n`;
}

/**
 * Import a payment ledger into `entityCode` as a new version of the dataset
 * Payments, run the library test duplicate-payments-exact on it as
 * `preparer`, and return the run id. Each vendor in `vendors` becomes one
 * exception, keyed by vendor, invoice number and amount.
 */
export async function runDuplicatePayments(
  testApp: TestApp,
  preparer: Actor,
  entityCode: string,
  vendors: readonly string[],
): Promise<string> {
  const directory = mkdtempSync(path.join(tmpdir(), 'peytonix-exceptions-'));
  const file = path.join(directory, 'payments.csv');
  writeFileSync(file, duplicatePaymentsCsv(vendors));
  await testApp.services.datasets.importFile(preparer, {
    entityCode,
    datasetName: 'Payments',
    filePath: file,
    fileName: 'payments.csv',
  });

  const { runId } = await testApp.services.runs.request(preparer, {
    entityCode,
    test: 'duplicate-payments-exact',
    inputs: { payments: { dataset: 'Payments' } },
    fieldMap: {},
    parameters: {},
    preview: false,
    via: 'api',
  });
  if (preparer.type !== 'user') throw new Error('a run needs a user as preparer');
  const outcome = await testApp.services.runs.execute(runId, preparer.userId);
  if (outcome?.status !== 'succeeded') {
    throw new Error(`run ${runId} ended ${outcome?.status}: ${outcome?.errorMessage}`);
  }
  return runId;
}

let engagementCount = 0;

/**
 * Create a new engagement below `parentCode`, so that each test case gets
 * its own test and exceptions, and run duplicate-payments-exact there.
 * Returns the engagement code, the run id and the exception ids in vendor
 * order.
 */
export async function freshExceptions(
  testApp: TestApp,
  preparer: Actor,
  parentCode: string,
  vendors: readonly string[],
): Promise<{ entityCode: string; runId: string; ids: string[] }> {
  engagementCount += 1;
  const entityCode = `${parentCode}-E${engagementCount}`;
  await createEntityDirectly(testApp.ownerUrl, {
    code: entityCode,
    parentCode,
    type: 'engagement',
  });
  const runId = await runDuplicatePayments(testApp, preparer, entityCode, vendors);
  const owner = new pg.Client({ connectionString: testApp.ownerUrl });
  await owner.connect();
  const { rows } = await owner
    .query<{ id: string; key_values: string[] }>(
      `SELECT e.id, e.key_values FROM exceptions AS e JOIN entities AS n ON n.id = e.entity_id
        WHERE n.code = $1`,
      [entityCode],
    )
    .finally(() => owner.end());
  const byVendor = new Map(rows.map((row) => [row.key_values[0], row.id]));
  const ids = vendors.map((vendor) => {
    const id = byVendor.get(vendor);
    if (id === undefined) throw new Error(`no exception for vendor ${vendor} in ${entityCode}`);
    return id;
  });
  return { entityCode, runId, ids };
}
