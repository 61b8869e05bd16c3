import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCliCaptured } from '../support/cli.ts';
import { grantRoleDirectly } from '../support/entity-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';

const BOUND_INPUT = `
inputs:
  - name: payments
    description: Vendor payments.
    fields:
      - { name: vendor_id, type: text, description: Vendor., required: true }
      - { name: amount, type: decimal, description: Amount paid., required: true }
parameters:
  - { name: threshold, type: decimal, default: "100.00", description: Smallest flagged amount. }
keyColumns: [vendor_id, amount]
sql: SELECT vendor_id, amount FROM payments WHERE amount >= $threshold
`;

describe('peytonix tests import with schedules', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let workDir: string;
  const run = (args: string[]) => runCliCaptured(args, env);

  beforeAll(async () => {
    database = await createTestDatabase();
    workDir = mkdtempSync(path.join(tmpdir(), 'peytonix-cli-schedules-'));
    env = {
      DATABASE_URL: database.ownerUrl,
      PEYTONIX_APP_DATABASE_URL: database.appUrl,
      PEYTONIX_DATA_DIR: path.join(workDir, 'data'),
      PEYTONIX_AS: ADMIN,
    };
    expect((await run(['migrate'])).code).toBe(0);
    expect((await run(['admin', 'create', '--email', ADMIN])).code).toBe(0);
    await grantRoleDirectly(database.ownerUrl, {
      email: ADMIN,
      role: 'preparer',
      entityCode: 'ORG',
    });
  });

  afterAll(async () => {
    await database.drop();
  });

  const writeDefinition = (name: string, text: string) => {
    const file = path.join(workDir, name);
    writeFileSync(file, text);
    return file;
  };

  it('imports and exports bindings', async () => {
    const file = writeDefinition(
      'scheduled.yaml',
      `key: scheduled-payments
name: Scheduled payments
severity: high
${BOUND_INPUT}
bindings:
  payments:
    dataset: AP ledger
    version: 3
    fields:
      vendor_id: VendorNum
schedule: "0 6 * * 1"
`,
    );

    const imported = await run(['tests', 'import', file, '--entity', 'ORG', '--json']);
    const exported = await run([
      'tests',
      'export',
      'scheduled-payments',
      '--entity',
      'ORG',
      '--version',
      '1',
    ]);

    expect(imported.code, imported.stderr).toBe(0);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain(
      'bindings:\n  payments:\n    dataset: AP ledger\n    version: 3\n    fields:\n      vendor_id: VendorNum\n',
    );
    const definition = parse(exported.stdout) as Record<string, unknown>;
    expect(definition.schedule).toBe('0 6 * * 1');
    expect(definition.bindings).toEqual({
      payments: { dataset: 'AP ledger', version: 3, fields: { vendor_id: 'VendorNum' } },
    });
  });

  it('rejects a schedule without bindings', async () => {
    const file = writeDefinition(
      'unbound.yaml',
      `key: unbound-payments
name: Unbound payments
severity: high
${BOUND_INPUT}
schedule: "0 6 * * 1"
`,
    );

    const imported = await run(['tests', 'import', file, '--entity', 'ORG']);

    expect(imported.code).not.toBe(0);
    expect(imported.stderr).toContain(
      'Invalid test definition at bindings: must bind every input when a schedule is set. Add bindings for payments',
    );
  });
});
