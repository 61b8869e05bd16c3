import { describe, expect, it } from 'vitest';
import type { DatasetDetail } from '../../src/datasets/datasets-api.ts';
import {
  describeRequestIssues,
  initialRunInputs,
  type RunFormValues,
  runInputErrors,
  toRunRequest,
} from '../../src/runs/run-request-form.ts';

const values: RunFormValues = {
  entity: 'AP',
  test: 'duplicate-payments-exact',
  inputs: [
    { name: 'payments', dataset: 'Payments', version: '', fields: { vendor_id: 'VendorNum' } },
    { name: 'vendors', dataset: 'Vendor master', version: '3', fields: { name: '' } },
    { name: 'ledger', dataset: '', version: '', fields: {} },
  ],
  parameters: [
    { name: 'threshold', value: '10000.00' },
    { name: '', value: '' },
  ],
  preview: true,
};

describe('toRunRequest', () => {
  it('builds the API body and skips empty values', () => {
    expect(toRunRequest(values)).toEqual({
      entity: 'AP',
      test: 'duplicate-payments-exact',
      inputs: {
        payments: { dataset: 'Payments' },
        vendors: { dataset: 'Vendor master', version: 3 },
      },
      fieldMap: { 'payments.vendor_id': 'VendorNum' },
      parameters: { threshold: '10000.00' },
      preview: true,
    });
  });
});

describe('describeRequestIssues', () => {
  it('accepts a valid request', () => {
    expect(describeRequestIssues(toRunRequest(values))).toEqual([]);
  });

  it('names an invalid input name', () => {
    const request = toRunRequest({
      ...values,
      inputs: [{ name: 'Payments', dataset: 'Payments', version: '', fields: {} }],
    });
    const issues = describeRequestIssues(request);

    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^Input "Payments": /);
  });

  it('names a missing test', () => {
    const issues = describeRequestIssues(toRunRequest({ ...values, test: '' }));

    expect(issues).toEqual([expect.stringMatching(/^Test: expected a test or template key\.$/)]);
  });
});

const paymentFields = [
  { name: 'vendor_id', type: 'text', required: true },
  { name: 'amount', type: 'decimal', required: true },
  { name: 'memo', type: 'text', required: false },
];

/** A dataset whose latest version 2 has `columns`, and version 1 has vendor_id only. */
function datasetWith(columns: string[]): DatasetDetail {
  const version = (number: number, names: string[]) =>
    ({
      version: number,
      columns: names.map((name) => ({ name, type: 'VARCHAR', nullable: true, sourceName: name })),
    }) as DatasetDetail['versions'][number];
  return { versions: [version(2, columns), version(1, ['vendor_id'])] } as DatasetDetail;
}

describe('runInputErrors', () => {
  const declared = [{ name: 'payments', fields: paymentFields }];

  it('accepts same-name and mapped columns', () => {
    const errors = runInputErrors(
      [{ name: 'payments', dataset: 'Payments', version: '', fields: { amount: 'Paid' } }],
      declared,
      () => datasetWith(['VENDOR_ID', 'Paid']),
    );

    expect(errors).toEqual({});
  });

  it('names a required field without a column', () => {
    const errors = runInputErrors(
      [{ name: 'payments', dataset: 'Payments', version: '1', fields: {} }],
      declared,
      () => datasetWith(['vendor_id', 'amount']),
    );

    expect(Object.keys(errors)).toEqual(['inputs.0.fields.amount']);
    expect(errors['inputs.0.fields.amount']).toBe(
      'Required field amount has no column: Version 1 of Payments has no column of that name. Choose the column it reads.',
    );
  });

  it('names a mapped column the version lacks', () => {
    const errors = runInputErrors(
      [{ name: 'payments', dataset: 'Payments', version: '', fields: { amount: 'Gone' } }],
      declared,
      () => datasetWith(['vendor_id', 'amount']),
    );

    expect(errors).toEqual({
      'inputs.0.fields.amount':
        'Version 2 of Payments has no column "Gone". Choose one of its columns.',
    });
  });

  it('requires a dataset for every input', () => {
    const errors = runInputErrors(
      [{ name: 'payments', dataset: '', version: '', fields: {} }],
      declared,
      () => undefined,
    );

    expect(errors).toEqual({ 'inputs.0.dataset': 'Choose a dataset for input payments.' });
  });

  it('leaves a dataset that has not loaded to the server', () => {
    const errors = runInputErrors(
      [{ name: 'payments', dataset: 'Payments', version: '', fields: {} }],
      declared,
      () => undefined,
    );

    expect(errors).toEqual({});
  });
});

describe('initialRunInputs', () => {
  it('starts from the version bindings', () => {
    const inputs = initialRunInputs(
      [
        { name: 'payments', fields: paymentFields },
        { name: 'vendors', fields: [] },
      ],
      { payments: { dataset: 'Payments', version: 4, fields: { amount: 'Paid' } } },
      'Vendor master',
    );

    expect(inputs).toEqual([
      { name: 'payments', dataset: 'Payments', version: '4', fields: { amount: 'Paid' } },
      { name: 'vendors', dataset: '', version: '', fields: {} },
    ]);
  });

  it('puts the linked dataset in an unbound first input', () => {
    const inputs = initialRunInputs([{ name: 'payments', fields: paymentFields }], {}, 'Payments');

    expect(inputs).toEqual([{ name: 'payments', dataset: 'Payments', version: '', fields: {} }]);
  });
});
