import type { TestTemplate } from '../template.ts';

/** SQL expression that normalizes a document key for matching: trimmed, upper case. */
function matchKey(column: string): string {
  return `upper(trim(CAST(${column} AS VARCHAR)))`;
}

export const threeWayMatch: TestTemplate = {
  key: 'three-way-match',
  version: 1,
  name: 'Three-way match',
  description: `Purchase-order lines whose order, receipt and invoice disagree, or lack one of the three documents.

## What it finds
Purchase orders, receipts and invoices are matched by PO number and item. Each result row is one PO line with one \`issue\`:

- \`missing_purchase_order\`: goods were received or invoiced against a PO line that does not exist.
- \`missing_receipt\`: no receipt was recorded for the PO line.
- \`missing_invoice\`: no invoice was recorded for the PO line.
- \`receipt_quantity_differs\`: the quantity received differs from the quantity ordered by more than \`$tolerance_pct\` percent of the quantity ordered.
- \`invoice_quantity_differs\`: the quantity invoiced differs from the quantity received by more than \`$tolerance_pct\` percent of the quantity received.
- \`invoice_price_differs\`: the unit price invoiced differs from the unit price ordered by more than \`$tolerance_pct\` percent of the unit price ordered.

## Why it matters
The three-way match is the key control over purchasing: the company pays only for what it ordered, at the agreed price, and only for what it received. Invoices without a receipt or a PO, quantities invoiced above those received, and prices above the order are how overbilling, payments for undelivered goods and fictitious vendors get through.

## How to read the results
PO numbers and items are shown trimmed and in upper case, as they were matched. Several lines of one document for the same PO number and item are added up: quantities are summed, and unit prices are averaged weighted by quantity. \`receipt_numbers\` and \`invoice_numbers\` list the documents behind the line. Investigate \`missing_purchase_order\`, \`missing_receipt\` with an invoice, and differences that favour the vendor first. A PO line that appears twice on the purchase order shows up as \`receipt_quantity_differs\`, because the quantities ordered are added up.

## Limitations
Open orders at the end of the period show up as \`missing_receipt\` and \`missing_invoice\`, so filter them by order date or compare with the open-order report. Invoices and receipts must carry the PO number. Invoices that refer only to a receipt have to be linked to their PO before the run. Quantities are compared in the unit of the PO, so convert units of measure first. With the default tolerance of 0, any difference counts. A missing quantity counts as zero. Lines with a missing unit price are left out of the price comparison, and prices are compared only when the priced quantities on both sides are non-zero.`,
  category: 'purchasing',
  severity: 'high',
  inputs: [
    {
      name: 'purchase_orders',
      description: 'Purchase-order lines.',
      fields: [
        { name: 'po_number', type: 'text', description: 'Purchase-order number.', required: true },
        {
          name: 'item',
          type: 'text',
          description: 'Item, material number or SKU that identifies the line within the PO.',
          required: true,
        },
        { name: 'quantity', type: 'decimal', description: 'Quantity ordered.', required: true },
        { name: 'unit_price', type: 'decimal', description: 'Unit price ordered.', required: true },
      ],
    },
    {
      name: 'receipts',
      description: 'Goods-receipt lines.',
      fields: [
        { name: 'receipt_number', type: 'text', description: 'Receipt number.', required: true },
        {
          name: 'po_number',
          type: 'text',
          description: 'Purchase-order number the receipt refers to.',
          required: true,
        },
        { name: 'item', type: 'text', description: 'Item received.', required: true },
        { name: 'quantity', type: 'decimal', description: 'Quantity received.', required: true },
      ],
    },
    {
      name: 'invoices',
      description: 'Vendor invoice lines.',
      fields: [
        { name: 'invoice_number', type: 'text', description: 'Invoice number.', required: true },
        {
          name: 'po_number',
          type: 'text',
          description: 'Purchase-order number the invoice refers to.',
          required: true,
        },
        { name: 'item', type: 'text', description: 'Item invoiced.', required: true },
        { name: 'quantity', type: 'decimal', description: 'Quantity invoiced.', required: true },
        {
          name: 'unit_price',
          type: 'decimal',
          description: 'Unit price invoiced.',
          required: true,
        },
      ],
    },
  ],
  parameters: [
    {
      name: 'tolerance_pct',
      type: 'decimal',
      default: '0',
      description:
        'Largest accepted difference, in percent of the reference value (0 or more). 0 reports every difference.',
    },
  ],
  keyColumns: ['po_number', 'item', 'issue'],
  sql: `WITH settings AS (
  SELECT CASE
    WHEN $tolerance_pct >= 0 THEN $tolerance_pct
    ELSE error('tolerance_pct must be 0 or more, got ' || $tolerance_pct)
  END AS tolerance_pct
),
ordered AS (
  SELECT
    ${matchKey('po_number')} AS po_number,
    ${matchKey('item')} AS item,
    sum(coalesce(quantity, 0)) AS quantity,
    sum(quantity) FILTER (WHERE unit_price IS NOT NULL) AS priced_quantity,
    sum(quantity * unit_price) AS amount
  FROM purchase_orders
  GROUP BY 1, 2
),
received AS (
  SELECT
    ${matchKey('po_number')} AS po_number,
    ${matchKey('item')} AS item,
    sum(coalesce(quantity, 0)) AS quantity,
    list(DISTINCT CAST(receipt_number AS VARCHAR) ORDER BY CAST(receipt_number AS VARCHAR)) AS receipt_numbers
  FROM receipts
  GROUP BY 1, 2
),
invoiced AS (
  SELECT
    ${matchKey('po_number')} AS po_number,
    ${matchKey('item')} AS item,
    sum(coalesce(quantity, 0)) AS quantity,
    sum(quantity) FILTER (WHERE unit_price IS NOT NULL) AS priced_quantity,
    sum(quantity * unit_price) AS amount,
    list(DISTINCT CAST(invoice_number AS VARCHAR) ORDER BY CAST(invoice_number AS VARCHAR)) AS invoice_numbers
  FROM invoices
  GROUP BY 1, 2
),
po_lines AS (
  SELECT po_number, item FROM ordered
  UNION SELECT po_number, item FROM received
  UNION SELECT po_number, item FROM invoiced
),
matched AS (
  SELECT
    l.po_number,
    l.item,
    o.quantity IS NOT NULL AS has_order,
    r.quantity IS NOT NULL AS has_receipt,
    i.quantity IS NOT NULL AS has_invoice,
    o.quantity AS ordered_quantity,
    o.priced_quantity AS ordered_priced_quantity,
    o.amount AS ordered_amount,
    r.quantity AS received_quantity,
    i.quantity AS invoiced_quantity,
    i.priced_quantity AS invoiced_priced_quantity,
    i.amount AS invoiced_amount,
    r.receipt_numbers,
    i.invoice_numbers
  FROM po_lines AS l
  LEFT JOIN ordered AS o
    ON o.po_number IS NOT DISTINCT FROM l.po_number AND o.item IS NOT DISTINCT FROM l.item
  LEFT JOIN received AS r
    ON r.po_number IS NOT DISTINCT FROM l.po_number AND r.item IS NOT DISTINCT FROM l.item
  LEFT JOIN invoiced AS i
    ON i.po_number IS NOT DISTINCT FROM l.po_number AND i.item IS NOT DISTINCT FROM l.item
),
issues AS (
  SELECT m.*, 'missing_purchase_order' AS issue FROM matched AS m WHERE NOT has_order
  UNION ALL
  SELECT m.*, 'missing_receipt' FROM matched AS m WHERE NOT has_receipt
  UNION ALL
  SELECT m.*, 'missing_invoice' FROM matched AS m WHERE NOT has_invoice
  UNION ALL
  SELECT m.*, 'receipt_quantity_differs'
  FROM matched AS m CROSS JOIN settings AS s
  WHERE has_order AND has_receipt
    AND abs(received_quantity - ordered_quantity) * 100 > s.tolerance_pct * abs(ordered_quantity)
  UNION ALL
  SELECT m.*, 'invoice_quantity_differs'
  FROM matched AS m CROSS JOIN settings AS s
  WHERE has_receipt AND has_invoice
    AND abs(invoiced_quantity - received_quantity) * 100 > s.tolerance_pct * abs(received_quantity)
  UNION ALL
  -- The average unit prices (amount / priced quantity) are cross-multiplied
  -- so that DECIMAL prices are compared exactly.
  SELECT m.*, 'invoice_price_differs'
  FROM matched AS m CROSS JOIN settings AS s
  WHERE has_order AND has_invoice
    AND ordered_priced_quantity <> 0 AND invoiced_priced_quantity <> 0
    AND abs(invoiced_amount * ordered_priced_quantity - ordered_amount * invoiced_priced_quantity) * 100
      > s.tolerance_pct * abs(ordered_amount * invoiced_priced_quantity)
)
SELECT
  po_number,
  item,
  issue,
  ordered_quantity,
  received_quantity,
  invoiced_quantity,
  round(CAST(ordered_amount AS DOUBLE) / CAST(nullif(ordered_priced_quantity, 0) AS DOUBLE), 6) AS ordered_unit_price,
  round(CAST(invoiced_amount AS DOUBLE) / CAST(nullif(invoiced_priced_quantity, 0) AS DOUBLE), 6) AS invoiced_unit_price,
  receipt_numbers,
  invoice_numbers
FROM issues
ORDER BY po_number NULLS FIRST, item NULLS FIRST, issue`,
};
