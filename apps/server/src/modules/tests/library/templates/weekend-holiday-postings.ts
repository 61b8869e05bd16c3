import type { TestTemplate } from '../template.ts';

export const weekendHolidayPostings: TestTemplate = {
  key: 'weekend-holiday-postings',
  version: 1,
  name: 'Weekend and holiday postings',
  description: `Entries posted on a Saturday, a Sunday or a listed public holiday.

## What it finds
Every entry whose posting date is a Saturday or a Sunday, or a date in the \`holidays\` input. Each result row is one entry on one posting date, with its lines added up.

## Why it matters
Entries made when the office is closed escape the usual supervision, and entries made at unusual times are a common selection criterion in journal-entry testing for management override. Legitimate weekend work, such as month-end closing or automated batch jobs, also shows up here, and knowing which users and sources normally post at weekends is itself useful.

## How to read the results
\`day_of_week\` is the weekday of the posting date, \`is_weekend\` and \`is_holiday\` say why the entry was selected, and \`holiday_name\` names the holiday (several names are joined with "; "). \`line_count\` is the number of lines of the entry on that date, and \`absolute_amount\` adds up the absolute line amounts, so a balanced entry does not show as zero. Compare the entries with the closing calendar and the list of scheduled jobs, and follow up manual entries with large amounts first.

## Limitations
The weekend is Saturday and Sunday. The posting date is a calendar date, so the time of day and the time zone of the entry are not considered. Only holidays listed in the \`holidays\` input are found, so list the public holidays of every country whose entries are tested. Lines with a missing posting date are ignored.`,
  category: 'general-ledger',
  severity: 'low',
  inputs: [
    {
      name: 'postings',
      description: 'Journal-entry lines or other postings, one row per line.',
      fields: [
        {
          name: 'entry_number',
          type: 'text',
          description: 'Journal-entry or document number that groups the lines of one entry.',
          required: true,
        },
        { name: 'posting_date', type: 'date', description: 'Posting date.', required: true },
        {
          name: 'amount',
          type: 'decimal',
          description: 'Line amount (debits and credits with opposite signs, or all positive).',
          required: true,
        },
      ],
    },
    {
      name: 'holidays',
      description: 'Public holidays and other non-working days, one row per date.',
      fields: [
        { name: 'holiday_date', type: 'date', description: 'Date of the holiday.', required: true },
        {
          name: 'holiday_name',
          type: 'text',
          description: 'Name of the holiday.',
          required: false,
        },
      ],
    },
  ],
  parameters: [],
  keyColumns: ['entry_number', 'posting_date'],
  sql: `WITH holiday_dates AS (
  SELECT
    CAST(holiday_date AS DATE) AS holiday_date,
    string_agg(DISTINCT CAST(holiday_name AS VARCHAR), '; ' ORDER BY CAST(holiday_name AS VARCHAR)) AS holiday_name
  FROM holidays
  WHERE holiday_date IS NOT NULL
  GROUP BY 1
),
dated_postings AS (
  SELECT entry_number, CAST(posting_date AS DATE) AS posting_date, amount
  FROM postings
  WHERE posting_date IS NOT NULL
)
SELECT
  p.entry_number,
  p.posting_date,
  dayname(p.posting_date) AS day_of_week,
  isodow(p.posting_date) IN (6, 7) AS is_weekend,
  h.holiday_date IS NOT NULL AS is_holiday,
  h.holiday_name,
  count(*) AS line_count,
  sum(abs(p.amount)) AS absolute_amount
FROM dated_postings AS p
LEFT JOIN holiday_dates AS h ON h.holiday_date = p.posting_date
WHERE isodow(p.posting_date) IN (6, 7) OR h.holiday_date IS NOT NULL
GROUP BY p.entry_number, p.posting_date, h.holiday_date, h.holiday_name
ORDER BY p.posting_date, p.entry_number`,
};
