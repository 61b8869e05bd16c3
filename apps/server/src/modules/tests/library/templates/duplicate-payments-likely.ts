import type { TestTemplate } from '../template.ts';

/**
 * SQL expression that normalizes `invoice_number` for comparison: lower
 * case, every character other than a letter or digit removed, then the
 * leading zeros of each run of digits removed ("INV-00012/a" becomes
 * "inv12a", "000" becomes "0").
 */
const NORMALIZED_INVOICE = String.raw`regexp_replace(
      regexp_replace(lower(CAST(invoice_number AS VARCHAR)), '[^\p{L}\p{N}]', '', 'g'),
      '(^|[^0-9])0+([0-9])', '\1\2', 'g')`;

export const duplicatePaymentsLikely: TestTemplate = {
  key: 'duplicate-payments-likely',
  version: 1,
  name: 'Duplicate payments (likely)',
  description: `Pairs of payments to the same vendor for the same amount, close together in time, under different invoice numbers.

## What it finds
Every pair of payments with the same vendor and the same amount whose payment dates are at most \`$window_days\` days apart and whose invoice numbers differ. Each pair gets a \`match_type\`:

- \`normalized_invoice_match\`: the invoice numbers become equal after normalization, which ignores case, removes punctuation and spaces, and removes the leading zeros of each run of digits. "INV-0012", "inv 12" and "INV12" are all "inv12".
- \`different_invoice\`: the invoice numbers differ even after normalization.

## Why it matters
Duplicate payments rarely carry the exact same invoice number, because the duplicate check of most ERP systems blocks that. A re-keyed invoice usually differs in format ("12345" and "0012345", "INV-12345" and "INV12345"), and an invoice paid once from the invoice and once from a statement or reminder often carries another number altogether.

## How to read the results
Payment A is the earlier payment of the pair (at equal dates, the one with the lower invoice number). \`days_apart\` is the number of days between the two payments. Start with \`normalized_invoice_match\` pairs: they are almost always the same invoice entered twice. \`different_invoice\` pairs are more often legitimate (regular fees or instalments of equal size), so compare them with the invoices. A payment can appear in several pairs, for example three payments of the same amount in one month give three pairs.

## Limitations
Payments with a missing vendor, invoice number, amount or payment date, and payments of zero, are ignored. Pairs with identical invoice numbers are left to \`duplicate-payments-exact\`. Amounts must be equal, so a duplicate paid net of a discount is not found. Vendors are compared by vendor number, so the same supplier set up under two vendor numbers is not found.`,
  category: 'accounts-payable',
  severity: 'medium',
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
  parameters: [
    {
      name: 'window_days',
      type: 'integer',
      default: 30,
      description: 'Maximum number of days between the two payments of a pair (0 or more).',
    },
  ],
  keyColumns: [
    'vendor_id',
    'amount',
    'invoice_number_a',
    'payment_date_a',
    'invoice_number_b',
    'payment_date_b',
  ],
  sql: `WITH settings AS (
  SELECT CASE
    WHEN $window_days >= 0 THEN CAST($window_days AS INTEGER)
    ELSE error('window_days must be 0 or more, got ' || $window_days)
  END AS window_days
),
candidates AS (
  SELECT
    vendor_id,
    invoice_number,
    amount,
    payment_date,
    ${NORMALIZED_INVOICE} AS normalized_invoice
  FROM payments
  WHERE vendor_id IS NOT NULL
    AND invoice_number IS NOT NULL
    AND amount IS NOT NULL
    AND amount <> 0
    AND payment_date IS NOT NULL
)
SELECT DISTINCT
  a.vendor_id,
  a.amount,
  a.invoice_number AS invoice_number_a,
  a.payment_date AS payment_date_a,
  b.invoice_number AS invoice_number_b,
  b.payment_date AS payment_date_b,
  b.payment_date - a.payment_date AS days_apart,
  CASE
    WHEN a.normalized_invoice = b.normalized_invoice THEN 'normalized_invoice_match'
    ELSE 'different_invoice'
  END AS match_type
FROM candidates AS a
JOIN candidates AS b
  ON b.vendor_id = a.vendor_id
  AND b.amount = a.amount
  AND b.invoice_number <> a.invoice_number
  AND (
    b.payment_date > a.payment_date
    OR (b.payment_date = a.payment_date AND b.invoice_number > a.invoice_number)
  )
CROSS JOIN settings
WHERE b.payment_date - a.payment_date <= settings.window_days
ORDER BY
  vendor_id, amount, payment_date_a, invoice_number_a, payment_date_b, invoice_number_b`,
};
