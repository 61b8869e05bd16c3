import type { TestTemplate } from '../template.ts';

export const splitPurchases: TestTemplate = {
  key: 'split-purchases',
  version: 1,
  name: 'Split purchases',
  description: `Purchases that were each kept below a limit but together reach it.

## What it finds
Groups of purchases by the same purchaser (card or requester) at the same merchant, each below \`$threshold\`, made within \`$window_days\` days of each other and adding up to \`$threshold\` or more. Each result row is one group.

## Why it matters
Purchasing-card and purchase-requisition limits are often avoided by splitting one purchase into several smaller ones. A split purchase bypasses the approval, quotation or tender step that the full amount would have needed, and a pattern of splits by one person is a fraud indicator.

## How to read the results
\`first_date\` and \`last_date\` bound the group, \`purchase_count\` and \`total_amount\` give its size, and \`amounts\` lists the purchases in date order. A group is built from windows: for every purchase date, the purchases of the \`$window_days\` days up to and including that date form a window, and overlapping windows whose totals reach the threshold are merged. A long run of frequent purchases can therefore span more than \`$window_days\` days. Ask for the underlying receipts: one order, one delivery or one invoice split over several payments confirms a split.

## Limitations
Set \`$threshold\` to the single-purchase limit that applies and \`$window_days\` to how far apart the parts of a split may be. The defaults (5000 and 3 days) are only starting points. Merchants are compared after trimming, collapsing spaces and ignoring case, so different spellings of one merchant ("ACME Ltd" and "Acme Limited") are not grouped. Purchases of zero or less (refunds), and purchases with a missing purchaser, merchant, amount or date, are ignored. A purchase at or above the threshold is not part of any group. A split between two cardholders is not found.`,
  category: 'purchasing',
  severity: 'high',
  inputs: [
    {
      name: 'purchases',
      description: 'Card transactions or purchase requisitions, one row per purchase.',
      fields: [
        {
          name: 'purchaser',
          type: 'text',
          description:
            'Who made the purchase: the card number for card transactions, the requester for requisitions.',
          required: true,
        },
        {
          name: 'merchant',
          type: 'text',
          description: 'Merchant or supplier name.',
          required: true,
        },
        { name: 'amount', type: 'decimal', description: 'Purchase amount.', required: true },
        {
          name: 'transaction_date',
          type: 'date',
          description: 'Date of the purchase.',
          required: true,
        },
      ],
    },
  ],
  parameters: [
    {
      name: 'threshold',
      type: 'decimal',
      default: '5000',
      description:
        'The single-purchase limit. Each purchase in a group is below it, and the group total is at or above it.',
    },
    {
      name: 'window_days',
      type: 'integer',
      default: 3,
      description:
        'Maximum number of days from the first to the last purchase of a window (0 means the same day).',
    },
  ],
  keyColumns: ['purchaser', 'merchant', 'first_date'],
  sql: String.raw`WITH settings AS (
  SELECT
    CASE
      WHEN $threshold > 0 THEN $threshold
      ELSE error('threshold must be greater than 0, got ' || $threshold)
    END AS threshold,
    CASE
      WHEN $window_days >= 0 THEN CAST($window_days AS INTEGER)
      ELSE error('window_days must be 0 or more, got ' || $window_days)
    END AS window_days
),
small_purchases AS (
  SELECT
    trim(CAST(purchases.purchaser AS VARCHAR)) AS purchaser,
    lower(trim(regexp_replace(CAST(purchases.merchant AS VARCHAR), '\s+', ' ', 'g'))) AS merchant,
    purchases.amount,
    CAST(purchases.transaction_date AS DATE) AS transaction_date
  FROM purchases
  CROSS JOIN settings
  WHERE purchases.transaction_date IS NOT NULL
    AND purchases.amount > 0
    AND purchases.amount < settings.threshold
),
named_purchases AS (
  SELECT * FROM small_purchases WHERE purchaser <> '' AND merchant <> ''
),
window_ends AS (
  SELECT DISTINCT purchaser, merchant, transaction_date AS window_end FROM named_purchases
),
-- A window holds the purchases of one purchaser at one merchant in the
-- window_days days up to and including window_end.
flagged_windows AS (
  SELECT
    ends.purchaser,
    ends.merchant,
    min(p.transaction_date) AS window_start,
    ends.window_end
  FROM window_ends AS ends
  CROSS JOIN settings
  JOIN named_purchases AS p
    ON p.purchaser = ends.purchaser
    AND p.merchant = ends.merchant
    AND p.transaction_date BETWEEN ends.window_end - settings.window_days AND ends.window_end
  GROUP BY ends.purchaser, ends.merchant, ends.window_end, settings.threshold
  HAVING sum(p.amount) >= settings.threshold
),
-- Overlapping flagged windows are merged into one group (gaps and islands).
ordered_windows AS (
  SELECT
    *,
    max(window_end) OVER (
      PARTITION BY purchaser, merchant
      ORDER BY window_start, window_end
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ) AS previous_end
  FROM flagged_windows
),
numbered_windows AS (
  SELECT
    *,
    sum(CASE WHEN previous_end IS NULL OR window_start > previous_end THEN 1 ELSE 0 END) OVER (
      PARTITION BY purchaser, merchant
      ORDER BY window_start, window_end
      ROWS UNBOUNDED PRECEDING
    ) AS group_number
  FROM ordered_windows
),
split_groups AS (
  SELECT purchaser, merchant, min(window_start) AS first_date, max(window_end) AS last_date
  FROM numbered_windows
  GROUP BY purchaser, merchant, group_number
)
SELECT
  g.purchaser,
  g.merchant,
  g.first_date,
  g.last_date,
  count(*) AS purchase_count,
  sum(p.amount) AS total_amount,
  list(p.amount ORDER BY p.transaction_date, p.amount) AS amounts
FROM split_groups AS g
JOIN named_purchases AS p
  ON p.purchaser = g.purchaser
  AND p.merchant = g.merchant
  AND p.transaction_date BETWEEN g.first_date AND g.last_date
GROUP BY g.purchaser, g.merchant, g.first_date, g.last_date
ORDER BY g.purchaser, g.merchant, g.first_date`,
};
