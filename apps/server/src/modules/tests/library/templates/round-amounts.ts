import type { TestTemplate } from '../template.ts';

export const roundAmounts: TestTemplate = {
  key: 'round-amounts',
  version: 1,
  name: 'Round amounts',
  description: `Large amounts that are whole multiples of a round number.

## What it finds
Transactions whose amount is a whole multiple of \`$multiple\` (1000 by default) and whose absolute value is \`$threshold\` or more. Negative amounts are tested by their absolute value, so a credit of -25,000 is found like a debit of 25,000. Each result row is one document, date and amount.

## Why it matters
Genuine invoices for goods and services rarely come to exact thousands, because they add up quantities, unit prices and taxes. Round amounts point to estimates, accruals, manual adjustments, advances and, in fraud cases, invented invoices and kickbacks.

## How to read the results
\`occurrences\` counts the rows that share the document number, date and amount. The results are ordered by absolute amount, largest first. Expect some round amounts (rent, fixed fees, loan repayments, transfers between own accounts) and clear them by type. Follow up round amounts paid to vendors that normally bill odd amounts, and round manual journal entries.

## Limitations
Amounts are compared at a precision of 0.000001, so an amount stored as a binary floating-point number that is within about 0.0000005 of a multiple counts as a multiple. \`$multiple\` must be at least 0.000001. Amounts of zero and missing amounts are ignored. The test says nothing about whether a round amount is justified.`,
  category: 'digital-analysis',
  severity: 'low',
  inputs: [
    {
      name: 'transactions',
      description: 'Payments, invoices or journal-entry lines, one row per amount.',
      fields: [
        {
          name: 'document_number',
          type: 'text',
          description: 'Number of the document or entry.',
          required: true,
        },
        {
          name: 'transaction_date',
          type: 'date',
          description: 'Document or posting date.',
          required: true,
        },
        { name: 'amount', type: 'decimal', description: 'Amount.', required: true },
      ],
    },
  ],
  parameters: [
    {
      name: 'multiple',
      type: 'decimal',
      default: '1000',
      description: 'An amount is round when it is a whole multiple of this value.',
    },
    {
      name: 'threshold',
      type: 'decimal',
      default: '10000',
      description: 'Smallest absolute amount reported (0 or more).',
    },
  ],
  keyColumns: ['document_number', 'transaction_date', 'amount'],
  sql: `WITH settings AS (
  SELECT
    CASE
      WHEN CAST(CAST($multiple AS DECIMAL(38, 6)) * 1000000 AS HUGEINT) > 0
        THEN CAST(CAST($multiple AS DECIMAL(38, 6)) * 1000000 AS HUGEINT)
      ELSE error('multiple must be at least 0.000001, got ' || $multiple)
    END AS multiple_millionths,
    CASE
      WHEN $threshold >= 0 THEN $threshold
      ELSE error('threshold must be 0 or more, got ' || $threshold)
    END AS threshold
)
SELECT
  t.document_number,
  t.transaction_date,
  t.amount,
  count(*) AS occurrences
FROM transactions AS t
CROSS JOIN settings
WHERE t.amount IS NOT NULL
  AND t.amount <> 0
  AND abs(t.amount) >= settings.threshold
  -- Scaling to whole millionths keeps the remainder exact for DECIMAL and DOUBLE amounts.
  AND CAST(CAST(abs(t.amount) AS DECIMAL(38, 6)) * 1000000 AS HUGEINT) % settings.multiple_millionths = 0
GROUP BY t.document_number, t.transaction_date, t.amount
ORDER BY abs(t.amount) DESC, t.amount, t.document_number, t.transaction_date`,
};
