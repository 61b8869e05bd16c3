import { testDefinitionFileSchema } from '@peytonix/contracts';
import { describe, expect, it } from 'vitest';
import { checkDefinition, valuesOfDefinition } from '../../src/tests/definition-form.ts';

const definition = {
  key: 'large-payments',
  name: 'Large payments',
  severity: 'high',
  inputs: [
    {
      name: 'payments',
      description: 'Vendor payments.',
      fields: [
        { name: 'vendor_id', type: 'text', description: 'Vendor.', required: true },
        { name: 'amount', type: 'decimal', description: 'Amount.', required: false },
      ],
    },
  ],
  parameters: [
    { name: 'threshold', type: 'decimal', default: '100.00', description: 'Smallest amount.' },
  ],
  keyColumns: ['vendor_id'],
  sql: 'SELECT vendor_id FROM payments WHERE amount >= $threshold',
};

/** Parse `content` and return each issue as "path: message". */
function issuesOf(content: unknown): string[] {
  const parsed = testDefinitionFileSchema.safeParse(content);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('testDefinitionFileSchema', () => {
  it('accepts a definition and fills defaults', () => {
    const { parameters: _parameters, ...withoutParameters } = definition;
    const parsed = testDefinitionFileSchema.parse(withoutParameters);

    expect(parsed.description).toBe('');
    expect(parsed.parameters).toEqual([]);
  });

  it('accepts bindings of declared inputs and fields', () => {
    const issues = issuesOf({
      ...definition,
      bindings: { payments: { dataset: 'Payments', version: 2, fields: { amount: 'Paid' } } },
    });

    expect(issues).toEqual([]);
  });

  it.each([
    {
      name: 'binding of an undeclared input',
      change: { bindings: { vendors: { dataset: 'Vendors' } } },
      issue: 'bindings.vendors: is not a declared input. Bind one of: payments',
    },
    {
      name: 'mapping of an undeclared field',
      change: { bindings: { payments: { dataset: 'Payments', fields: { vendor: 'Vendor' } } } },
      issue:
        'bindings.payments.fields.vendor: is not a field of input payments. Map one of: vendor_id, amount',
    },
    {
      name: 'dataset name with "@"',
      change: { bindings: { payments: { dataset: 'Payments@2' } } },
      issue:
        'bindings.payments.dataset: expected no "@", which separates a dataset name from its version',
    },
    {
      name: 'fractional binding version',
      change: { bindings: { payments: { dataset: 'Payments', version: 1.5 } } },
      issue: 'bindings.payments.version: must be a whole version number',
    },
    {
      name: 'schedule without bindings',
      change: { schedule: '0 6 * * 1' },
      issue: 'bindings: must bind every input when a schedule is set. Add bindings for payments',
    },
    {
      name: 'duplicate input name',
      change: { inputs: [definition.inputs[0], definition.inputs[0]] },
      issue: 'inputs.1: duplicate input name "payments"',
    },
    {
      name: 'impossible date default',
      change: {
        parameters: [{ name: 'since', type: 'date', default: '2025-02-30', description: 'From.' }],
      },
      issue: 'parameters.0.default: must be a calendar date "YYYY-MM-DD"',
    },
    {
      name: 'blank SQL',
      change: { sql: '   ' },
      issue: 'sql: must not be empty',
    },
  ])('rejects $name', ({ change, issue }) => {
    expect(issuesOf({ ...definition, ...change })).toEqual([issue]);
  });

  it('requires parameter defaults when a schedule is set', () => {
    const issues = issuesOf({
      ...definition,
      parameters: [{ ...definition.parameters[0], default: null }],
      bindings: { payments: { dataset: 'Payments' } },
      schedule: '0 6 * * 1',
    });

    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^parameters\.0\.default: must not be null when a schedule is set/);
  });

  it('leaves the cron expression to the server', () => {
    const issues = issuesOf({
      ...definition,
      bindings: { payments: { dataset: 'Payments' } },
      schedule: 'not cron',
    });

    expect(issues).toEqual([]);
  });
});

describe('definition form bindings', () => {
  const exported = {
    ...definition,
    version: 3,
    state: 'active',
    bindings: { payments: { dataset: 'Payments', version: 2, fields: { amount: 'Paid' } } },
  };

  it('round-trips a stored binding', () => {
    const values = valuesOfDefinition(exported);
    const checked = checkDefinition(values);

    expect(values.bindings.payments).toEqual({
      dataset: 'Payments',
      version: '2',
      fields: { amount: 'Paid' },
    });
    expect(checked.issues).toEqual([]);
    expect(checked.definition?.bindings).toEqual(exported.bindings);
  });

  it('drops a binding without a dataset and unmapped fields', () => {
    const values = valuesOfDefinition(exported);
    values.bindings.payments = { dataset: 'Payments', version: '', fields: { vendor_id: '' } };
    values.bindings.other = { dataset: '', version: '', fields: {} };

    expect(checkDefinition(values).definition?.bindings).toEqual({
      payments: { dataset: 'Payments' },
    });
  });

  it('puts binding issues next to their control', () => {
    const values = valuesOfDefinition(exported);
    values.schedule = '0 6 * * 1';
    values.bindings = {
      ledger: { dataset: 'Ledger', version: '', fields: {} },
      payments: { dataset: 'Payments', version: '', fields: { vendor: 'V' } },
    };

    const paths = checkDefinition(values).issues.map((issue) => issue.formPath);

    expect(paths).toEqual(['bindings.ledger', 'bindings.payments.fields.vendor']);
  });
});
