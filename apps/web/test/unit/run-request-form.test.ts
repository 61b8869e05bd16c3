import { describe, expect, it } from 'vitest';
import {
  describeRequestIssues,
  type RunFormValues,
  toRunRequest,
} from '../../src/runs/run-request-form.ts';

const values: RunFormValues = {
  entity: 'AP',
  test: 'duplicate-payments-exact',
  inputs: [
    { name: ' payments ', dataset: 'Payments', version: '' },
    { name: 'vendors', dataset: 'Vendor master', version: '3' },
    { name: '', dataset: '', version: '' },
  ],
  fieldMap: [
    { input: 'payments', field: 'vendor_id', column: 'VendorNum' },
    { input: 'payments', field: '', column: '' },
  ],
  parameters: [
    { name: 'threshold', value: '10000.00' },
    { name: '', value: '' },
  ],
  preview: true,
};

describe('toRunRequest', () => {
  it('builds the API body and skips empty rows', () => {
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
      inputs: [{ name: 'Payments', dataset: 'Payments', version: '' }],
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
