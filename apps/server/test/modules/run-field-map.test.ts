import { describe, expect, it } from 'vitest';
import { type DeclaredInput, mapFields } from '../../src/modules/runs/run-plan.ts';
import type { DatasetColumn } from '../../src/platform/db/schema.ts';
import { AppError } from '../../src/platform/http/app-error.ts';

const PAYMENTS: DeclaredInput = {
  name: 'payments',
  fields: [
    { name: 'vendor_id', type: 'text', required: true },
    { name: 'amount', type: 'decimal', required: true },
    { name: 'quantity', type: 'integer', required: false },
    { name: 'paid_on', type: 'date', required: false },
    { name: 'approved', type: 'boolean', required: false },
  ],
};

const column = (name: string, type: string): DatasetColumn => ({
  name,
  type,
  nullable: true,
  sourceName: name,
});

function mappingError(columns: DatasetColumn[], explicit: Record<string, string> = {}): string {
  try {
    mapFields(PAYMENTS, columns, explicit);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).detail;
  }
  throw new Error('expected mapFields to reject the mapping');
}

describe('field mapping of a run', () => {
  it('maps fields by name, ignoring case, and leaves missing optional fields null', () => {
    const mapping = mapFields(
      PAYMENTS,
      [column('Vendor_ID', 'BIGINT'), column('AMOUNT', 'DECIMAL(18,2)')],
      {},
    );

    expect(mapping).toEqual({
      vendor_id: 'Vendor_ID',
      amount: 'AMOUNT',
      quantity: null,
      paid_on: null,
      approved: null,
    });
  });

  it.each([
    ['amount', 'DOUBLE'],
    ['amount', 'HUGEINT'],
    ['quantity', 'DECIMAL(38,0)'],
    ['quantity', 'UINTEGER'],
    ['paid_on', 'TIMESTAMP WITH TIME ZONE'],
    ['paid_on', 'TIMESTAMP_NS'],
    ['approved', 'BOOLEAN'],
    ['vendor_id', 'DATE'],
  ])('lets field %s read a %s column', (field, type) => {
    const columns = [column('vendor_id', 'VARCHAR'), column('amount', 'DECIMAL(18,2)')];

    const mapping = mapFields(PAYMENTS, [...columns, column('Source', type)], {
      [field]: 'Source',
    });

    expect(mapping[field]).toBe('Source');
  });

  it.each([
    ['amount', 'VARCHAR', 'a numeric column'],
    ['quantity', 'DECIMAL(18,2)', 'an integer column'],
    ['quantity', 'DOUBLE', 'an integer column'],
    ['paid_on', 'VARCHAR', 'a date or timestamp column'],
    ['paid_on', 'TIME', 'a date or timestamp column'],
    ['approved', 'INTEGER', 'a boolean column'],
  ])('rejects field %s mapped to a %s column', (field, type, kind) => {
    const columns = [column('vendor_id', 'VARCHAR'), column('amount', 'DECIMAL(18,2)')];

    const detail = mappingError([...columns, column('Source', type)], { [field]: 'Source' });

    expect(detail).toContain(`column "Source" is ${type}. Map the field to ${kind}`);
    expect(detail).toContain(`--map payments.${field}=COLUMN`);
  });

  it('checks the type of a column matched by name too', () => {
    const detail = mappingError([column('vendor_id', 'VARCHAR'), column('amount', 'VARCHAR')]);

    expect(detail).toContain(
      'Field amount of input payments is decimal, but column "amount" is VARCHAR.',
    );
  });
});
