import type { TestTemplate } from '../template.ts';

/**
 * Splits a document number into the text before its last run of digits
 * (group 1), that run (group 2) and any text after it (group 3).
 */
const DOCUMENT_NUMBER_PATTERN = '^(.*?)([0-9]+)([^0-9]*)$';

export const sequenceGapsDuplicates: TestTemplate = {
  key: 'sequence-gaps-duplicates',
  version: 1,
  name: 'Sequence gaps and duplicates',
  description: `Missing and repeated numbers in a numbered document series.

## What it finds
The numeric part of each document number is its last run of digits, and the text before it is the prefix: "INV-2024-00017" has the prefix "INV-2024-" and the number 17. Documents are grouped into sequences by \`series\` (when the input gives one) and prefix, and each sequence is checked for:

- \`gap\`: numbers missing between two numbers that are present. One row per run of missing numbers.
- \`duplicate\`: a number used by more than one document, including numbers written differently ("INV-0017" and "INV-17").

## Why it matters
Pre-numbered documents (invoices issued, checks, purchase orders, receiving reports, credit notes) are a completeness control. A gap can be a document that was issued but never recorded (unrecorded sales, a missing check), or a voided document nobody accounted for. A duplicate can be a document recorded twice or a number reused to hide a second transaction.

## How to read the results
\`series\` and \`prefix\` name the sequence (the prefix is compared in upper case, and is empty for purely numeric numbers). For a gap, \`first_number\` and \`last_number\` are the first and last missing numbers and \`document_count\` is how many numbers are missing. For a duplicate, \`first_number\` and \`last_number\` are the repeated number, \`document_count\` is how many documents use it, and \`document_numbers\` lists them. Ask for an explanation of every gap (voided, cancelled, never issued) and check voided documents against the void log.

## Limitations
Gaps are found only between the lowest and the highest number present, so documents missing before the first or after the last number of the listing are not found. Text after the last run of digits is ignored, so "INV-17A" and "INV-17B" are duplicates of 17. Document numbers without digits, and numbers with more than 38 digits, are ignored. A new numbering range (for example a new year that starts again at 1 under the same prefix) shows up as duplicates unless \`series\` separates the years.`,
  category: 'document-integrity',
  severity: 'medium',
  inputs: [
    {
      name: 'documents',
      description: 'Documents of one or more numbered series, one row per document.',
      fields: [
        {
          name: 'document_number',
          type: 'text',
          description: 'Document number, with or without a prefix (for example "INV-000123").',
          required: true,
        },
        {
          name: 'series',
          type: 'text',
          description:
            'Numbering series kept in a separate column, such as company code, document type or fiscal year. Leave unmapped when the prefix of the number is enough.',
          required: false,
        },
      ],
    },
  ],
  parameters: [],
  keyColumns: ['series', 'prefix', 'issue', 'first_number'],
  sql: `WITH parsed AS (
  SELECT
    trim(CAST(document_number AS VARCHAR)) AS document_number,
    nullif(trim(CAST(series AS VARCHAR)), '') AS series,
    upper(regexp_extract(trim(CAST(document_number AS VARCHAR)), '${DOCUMENT_NUMBER_PATTERN}', 1)) AS prefix,
    TRY_CAST(regexp_extract(trim(CAST(document_number AS VARCHAR)), '${DOCUMENT_NUMBER_PATTERN}', 2) AS HUGEINT) AS number
  FROM documents
  WHERE document_number IS NOT NULL
),
numbered AS (
  SELECT * FROM parsed WHERE number IS NOT NULL
),
steps AS (
  SELECT
    series,
    prefix,
    number,
    lead(number) OVER (PARTITION BY series, prefix ORDER BY number) AS next_number
  FROM (SELECT DISTINCT series, prefix, number FROM numbered)
),
gaps AS (
  SELECT
    series,
    prefix,
    'gap' AS issue,
    number + 1 AS first_number,
    next_number - 1 AS last_number,
    next_number - number - 1 AS document_count,
    CAST(NULL AS VARCHAR[]) AS document_numbers
  FROM steps
  WHERE next_number - number > 1
),
duplicates AS (
  SELECT
    series,
    prefix,
    'duplicate' AS issue,
    number AS first_number,
    number AS last_number,
    count(*) AS document_count,
    list(document_number ORDER BY document_number) AS document_numbers
  FROM numbered
  GROUP BY series, prefix, number
  HAVING count(*) > 1
)
SELECT series, prefix, issue, first_number, last_number, CAST(document_count AS HUGEINT) AS document_count, document_numbers
FROM (SELECT * FROM gaps UNION ALL SELECT * FROM duplicates)
ORDER BY series NULLS FIRST, prefix, first_number, issue`,
};
