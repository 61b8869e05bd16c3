import type { TestTemplate } from '../template.ts';

export const duplicatePaymentsExact: TestTemplate = {
  key: 'duplicate-payments-exact',
  version: 1,
  name: 'Duplicate payments (exact)',
  description: `Payments to the same vendor with the same invoice number and the same amount.

## What it finds
Groups of two or more payments that agree exactly on vendor, invoice number and amount. Each result row is one group.

## Why it matters
Paying the same invoice twice is the most common cause of recoverable overpayments. It comes from invoices entered twice (once from the mailed copy and once from the e-mailed copy), from a payment run repeated after an error, and occasionally from fraud.

## How to read the results
\`payment_count\` is the number of payments in the group, and \`duplicate_amount\` is what was paid beyond the first payment. \`payment_dates\` lists the dates, earliest first. Payments on the same day often come from a repeated upload or payment run, while payments weeks apart more often come from an invoice entered twice. Confirm each group against the vendor statement before asking for a refund. A credit note reissued with the same number and amount also shows up here, with a negative amount.

## Limitations
The match is exact: "INV-001" and "inv 001", or amounts that differ by a cent, are not matched here. Use \`duplicate-payments-likely\` for those. Payments with a missing vendor, invoice number or amount, and payments of zero, are ignored. Legitimate repeats, such as instalments billed under one invoice number, have to be cleared by hand.`,
  category: 'accounts-payable',
  severity: 'high',
  inputs: [
    {
      name: 'payments',
      description: 'Vendor payments, one row per payment or per paid invoice.',
      fields: [
        { name: 'vendor_id', type: 'text', description: 'Vendor number.', required: true },
        {
          name: 'invoice_number',
          type: 'text',
          description: "The vendor's invoice number as entered.",
          required: true,
        },
        { name: 'amount', type: 'decimal', description: 'Amount paid.', required: true },
        { name: 'payment_date', type: 'date', description: 'Payment date.', required: true },
      ],
    },
  ],
  parameters: [],
  keyColumns: ['vendor_id', 'invoice_number', 'amount'],
  sql: `SELECT
  vendor_id,
  invoice_number,
  amount,
  count(*) AS payment_count,
  amount * (count(*) - 1) AS duplicate_amount,
  list(payment_date ORDER BY payment_date NULLS LAST) AS payment_dates
FROM payments
WHERE vendor_id IS NOT NULL
  AND invoice_number IS NOT NULL
  AND amount IS NOT NULL
  AND amount <> 0
GROUP BY vendor_id, invoice_number, amount
HAVING count(*) > 1
ORDER BY vendor_id, invoice_number, amount`,
};
