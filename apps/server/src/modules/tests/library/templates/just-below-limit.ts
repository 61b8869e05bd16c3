import type { TestTemplate } from '../template.ts';

export const justBelowLimit: TestTemplate = {
  key: 'just-below-limit',
  version: 1,
  name: 'Amounts just below an approval limit',
  description: `Amounts that fall just short of an approval or authorization limit.

## What it finds
Transactions whose amount is below \`$limit\` by at most \`$margin_pct\` percent of the limit: \`$limit × (1 − $margin_pct / 100) ≤ amount < $limit\`. With the defaults (limit 10000, margin 5 percent), amounts from 9500 up to 9999.99 are found. Each result row is one document, date and amount.

## Why it matters
An amount kept just under a limit avoids the second approval, the quotation or the tender that the limit triggers. A cluster of amounts just below a limit, by one requester or vendor, suggests that the limit is being managed around.

## How to read the results
\`shortfall\` is how far the amount is below the limit, and \`shortfall_pct\` the same as a percentage of the limit (rounded to four decimals). The results are ordered by shortfall, smallest first, so the amounts closest to the limit come first. \`occurrences\` counts rows that share document number, date and amount. Look for repeats by the same requester, approver or vendor, and for several documents just below the limit on the same day (see also \`split-purchases\`).

## Limitations
Set \`$limit\` to the approval limit that applies to the transactions tested. The default of 10000 is only a placeholder. One run tests one limit, so run the test once per limit when there are several. An amount equal to the limit is not found, because it needed the higher approval. Negative amounts and missing amounts are ignored.`,
  category: 'purchasing',
  severity: 'medium',
  inputs: [
    {
      name: 'transactions',
      description: 'Purchase orders, invoices or payments, one row per document.',
      fields: [
        {
          name: 'document_number',
          type: 'text',
          description: 'Number of the document.',
          required: true,
        },
        {
          name: 'transaction_date',
          type: 'date',
          description: 'Document date.',
          required: true,
        },
        { name: 'amount', type: 'decimal', description: 'Amount of the document.', required: true },
      ],
    },
  ],
  parameters: [
    {
      name: 'limit',
      type: 'decimal',
      default: '10000',
      description: 'The approval limit (greater than 0).',
    },
    {
      name: 'margin_pct',
      type: 'decimal',
      default: '5',
      description:
        'How far below the limit an amount may be, in percent of the limit (greater than 0 and less than 100).',
    },
  ],
  keyColumns: ['document_number', 'transaction_date', 'amount'],
  sql: `WITH settings AS (
  SELECT
    CASE
      WHEN $limit > 0 THEN $limit
      ELSE error('limit must be greater than 0, got ' || $limit)
    END AS limit_amount,
    CASE
      WHEN $margin_pct > 0 AND $margin_pct < 100 THEN $margin_pct
      ELSE error('margin_pct must be greater than 0 and less than 100, got ' || $margin_pct)
    END AS margin_pct
),
bounds AS (
  -- Multiplying by 0.01 instead of dividing by 100 keeps DECIMAL arithmetic exact.
  SELECT limit_amount, limit_amount - limit_amount * margin_pct * 0.01 AS lower_bound
  FROM settings
)
SELECT
  t.document_number,
  t.transaction_date,
  t.amount,
  bounds.limit_amount,
  bounds.limit_amount - t.amount AS shortfall,
  round(CAST(bounds.limit_amount - t.amount AS DOUBLE) * 100 / CAST(bounds.limit_amount AS DOUBLE), 4) AS shortfall_pct,
  count(*) AS occurrences
FROM transactions AS t
CROSS JOIN bounds
WHERE t.amount >= bounds.lower_bound
  AND t.amount < bounds.limit_amount
GROUP BY t.document_number, t.transaction_date, t.amount, bounds.limit_amount
ORDER BY shortfall, t.document_number, t.transaction_date, t.amount`,
};
