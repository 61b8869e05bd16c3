import type { TestTemplate } from '../template.ts';

/** SQL expression that normalizes an employee number for matching: trimmed, upper case. */
function employeeKey(column: string): string {
  return `upper(trim(CAST(${column} AS VARCHAR)))`;
}

export const terminatedUsersWithAccess: TestTemplate = {
  key: 'terminated-users-with-access',
  version: 1,
  name: 'Terminated users with access',
  description: `Accounts that still belong to people who have left.

## What it finds
Employees whose termination date in the HR listing is before \`$as_of\` (by more than \`$grace_days\` days) and who still hold an active account in the access listing. Each result row is one employee, one user account and one system.

## Why it matters
Removing access promptly when someone leaves is a basic access control, and a standard test in reviews of IT general controls. An account left active after termination can be used by the former employee, or by a colleague who knows the password, without any trace leading to a current user. A login after the termination date is direct evidence of misuse.

## How to read the results
\`termination_date\` is the last termination date in the HR listing, and \`days_since_termination\` counts the days from it to \`$as_of\`. \`access_rows\` is the number of rows of the access listing behind the account (for example one per role). \`last_login\` is the latest login the listing records, and \`login_after_termination\` is true when it falls after the termination date. Start with logins after termination and with privileged systems. Set \`$as_of\` to the date the access listing was extracted.

## Limitations
Employees are matched by employee number, compared trimmed and in upper case, so the access listing needs a column with the employee number of each account's owner. Accounts without an owner (service, shared and generic accounts) cannot be matched and need a separate review. An employee with an HR row that has no termination date, or a termination date on or after \`$as_of - $grace_days\`, counts as active, which covers rehires. When \`active\` is unmapped or missing, every account in the listing counts as active. \`last_login\` is only as reliable as the system that records it.`,
  category: 'access-control',
  severity: 'critical',
  inputs: [
    {
      name: 'employees',
      description: 'HR listing of current and former employees, one row per employment.',
      fields: [
        { name: 'employee_id', type: 'text', description: 'Employee number.', required: true },
        { name: 'employee_name', type: 'text', description: 'Employee name.', required: true },
        {
          name: 'termination_date',
          type: 'date',
          description: 'Last day of employment, empty for current employees.',
          required: true,
        },
      ],
    },
    {
      name: 'access',
      description:
        'Access listing of one or more systems, one row per account or per account and role.',
      fields: [
        { name: 'user_id', type: 'text', description: 'User account name.', required: true },
        {
          name: 'employee_id',
          type: 'text',
          description: "Employee number of the account's owner, as in the HR listing.",
          required: true,
        },
        {
          name: 'system',
          type: 'text',
          description: 'System or application of the account. Leave unmapped for a single system.',
          required: false,
        },
        {
          name: 'active',
          type: 'boolean',
          description:
            'False for disabled or locked accounts. Leave unmapped when the listing holds active accounts only.',
          required: false,
        },
        {
          name: 'last_login',
          type: 'date',
          description: 'Date of the last login.',
          required: false,
        },
      ],
    },
  ],
  parameters: [
    {
      name: 'as_of',
      type: 'date',
      default: null,
      description: 'Date of the access listing. Terminations before this date are tested.',
    },
    {
      name: 'grace_days',
      type: 'integer',
      default: 0,
      description:
        'Days allowed between termination and access removal (0 or more). Terminations within this many days before as_of are not reported.',
    },
  ],
  keyColumns: ['employee_id', 'user_id', 'system'],
  sql: `WITH settings AS (
  SELECT
    $as_of AS as_of,
    CASE
      WHEN $grace_days >= 0 THEN CAST($grace_days AS INTEGER)
      ELSE error('grace_days must be 0 or more, got ' || $grace_days)
    END AS grace_days
),
people AS (
  SELECT
    ${employeeKey('employee_id')} AS employee_key,
    min(employee_id) AS employee_id,
    min(employee_name) AS employee_name,
    max(termination_date) AS termination_date,
    -- An employee with any row without a termination date (a rehire) is active.
    bool_and(termination_date IS NOT NULL) AS has_left
  FROM employees
  WHERE employee_id IS NOT NULL
  GROUP BY 1
),
leavers AS (
  SELECT people.*, settings.as_of - CAST(people.termination_date AS DATE) AS days_since_termination
  FROM people
  CROSS JOIN settings
  WHERE people.has_left
    AND CAST(people.termination_date AS DATE) + settings.grace_days < settings.as_of
),
accounts AS (
  SELECT
    ${employeeKey('employee_id')} AS employee_key,
    user_id,
    system,
    last_login
  FROM access
  WHERE employee_id IS NOT NULL
    AND user_id IS NOT NULL
    AND coalesce(active, true)
)
SELECT
  l.employee_id,
  l.employee_name,
  l.termination_date,
  l.days_since_termination,
  a.user_id,
  a.system,
  count(*) AS access_rows,
  max(a.last_login) AS last_login,
  max(a.last_login) > l.termination_date AS login_after_termination
FROM leavers AS l
JOIN accounts AS a ON a.employee_key = l.employee_key
GROUP BY
  l.employee_id, l.employee_name, l.termination_date, l.days_since_termination, a.user_id, a.system
ORDER BY l.employee_id, a.user_id, a.system NULLS FIRST`,
};
