import type { TestTemplate } from '../template.ts';

/**
 * Street-address words replaced by their usual abbreviation, so that
 * "12 Main Street" and "12 Main St." normalize alike.
 */
const ADDRESS_ABBREVIATIONS: readonly (readonly [string, string])[] = [
  ['street', 'st'],
  ['avenue', 'ave'],
  ['road', 'rd'],
  ['drive', 'dr'],
  ['lane', 'ln'],
  ['boulevard', 'blvd'],
  ['court', 'ct'],
  ['place', 'pl'],
  ['square', 'sq'],
  ['suite', 'ste'],
  ['apartment', 'apt'],
  ['building', 'bldg'],
  ['floor', 'fl'],
];

/**
 * SQL expression that normalizes an address: lower case, every run of
 * characters other than letters and digits turned into one space, common
 * street words abbreviated, and spaces removed.
 */
function normalizedAddress(column: string): string {
  let expression = String.raw`trim(regexp_replace(lower(CAST(${column} AS VARCHAR)), '[^\p{L}\p{N}]+', ' ', 'g'))`;
  for (const [word, abbreviation] of ADDRESS_ABBREVIATIONS) {
    expression = String.raw`regexp_replace(${expression}, '\b${word}\b', '${abbreviation}', 'g')`;
  }
  return `replace(${expression}, ' ', '')`;
}

/** SQL expression that normalizes a bank account or IBAN: letters and digits only, upper case. */
function normalizedBankAccount(column: string): string {
  return String.raw`upper(regexp_replace(CAST(${column} AS VARCHAR), '[^\p{L}\p{N}]', '', 'g'))`;
}

export const vendorEmployeeMatch: TestTemplate = {
  key: 'vendor-employee-match',
  version: 1,
  name: 'Vendors matching employees',
  description: `Vendors that share an address or a bank account with an employee.

## What it finds
Every vendor and employee whose addresses or bank accounts are equal after normalization. Addresses are compared in lower case without punctuation and spaces, with common street words abbreviated ("Street" as "st", "Avenue" as "ave", "Suite" as "ste" and so on), so "12 Main Street, Apt. 4" and "12 MAIN ST APT 4" match. Bank accounts are compared in upper case with only letters and digits, so "DE89 3704 0044 0532 0130 00" matches "DE89370400440532013000". Each result row is one vendor, one employee and what they share (\`matched_on\` is \`address\` or \`bank_account\`).

## Why it matters
A vendor paid into an employee's bank account, or registered at an employee's home, is the classic sign of a shell company set up by the employee, and of conflicts of interest. Legitimate cases exist (employees reimbursed through the vendor master, employees who are also small suppliers), but each one needs an approved explanation.

## How to read the results
\`matched_value\` is the normalized value the two records share. A bank-account match is stronger evidence than an address match. Check each match against the vendor's approval file and the employee's declaration of interests, and look at the payments made to the vendor.

## Limitations
Addresses that are spelled differently beyond case, punctuation, spacing and the listed street words ("Second" and "2nd", a missing postcode) are not matched. Addresses or bank accounts that are empty after normalization are ignored. Placeholders shared by many records, such as "unknown", match each other. Related parties who do not appear in the employee listing (spouses, relatives) are not found.`,
  category: 'vendor-master',
  severity: 'high',
  inputs: [
    {
      name: 'vendors',
      description: 'Vendor master records.',
      fields: [
        { name: 'vendor_id', type: 'text', description: 'Vendor number.', required: true },
        { name: 'vendor_name', type: 'text', description: 'Vendor name.', required: true },
        {
          name: 'address',
          type: 'text',
          description: 'Full address in one column (street, number, town, postcode).',
          required: false,
        },
        {
          name: 'bank_account',
          type: 'text',
          description: 'Bank account number or IBAN the vendor is paid into.',
          required: false,
        },
      ],
    },
    {
      name: 'employees',
      description: 'Employee master records from HR or payroll.',
      fields: [
        { name: 'employee_id', type: 'text', description: 'Employee number.', required: true },
        { name: 'employee_name', type: 'text', description: 'Employee name.', required: true },
        {
          name: 'address',
          type: 'text',
          description: 'Home address in one column, formatted like the vendor addresses.',
          required: false,
        },
        {
          name: 'bank_account',
          type: 'text',
          description: 'Bank account number or IBAN the salary is paid into.',
          required: false,
        },
      ],
    },
  ],
  parameters: [],
  keyColumns: ['vendor_id', 'employee_id', 'matched_on'],
  sql: `WITH vendor_values AS (
  SELECT vendor_id, vendor_name, 'address' AS matched_on, ${normalizedAddress('address')} AS matched_value
  FROM vendors
  UNION ALL
  SELECT vendor_id, vendor_name, 'bank_account', ${normalizedBankAccount('bank_account')}
  FROM vendors
),
employee_values AS (
  SELECT employee_id, employee_name, 'address' AS matched_on, ${normalizedAddress('address')} AS matched_value
  FROM employees
  UNION ALL
  SELECT employee_id, employee_name, 'bank_account', ${normalizedBankAccount('bank_account')}
  FROM employees
)
SELECT
  v.vendor_id,
  min(v.vendor_name) AS vendor_name,
  e.employee_id,
  min(e.employee_name) AS employee_name,
  v.matched_on,
  string_agg(DISTINCT v.matched_value, '; ' ORDER BY v.matched_value) AS matched_value
FROM vendor_values AS v
JOIN employee_values AS e
  ON e.matched_on = v.matched_on
  AND e.matched_value = v.matched_value
WHERE v.vendor_id IS NOT NULL
  AND e.employee_id IS NOT NULL
  AND v.matched_value <> ''
GROUP BY v.vendor_id, e.employee_id, v.matched_on
ORDER BY v.vendor_id, e.employee_id, v.matched_on`,
};
