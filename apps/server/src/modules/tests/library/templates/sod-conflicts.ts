import type { TestTemplate } from '../template.ts';

/** SQL expression that normalizes a role name for matching: trimmed, lower case. */
function roleKey(column: string): string {
  return `lower(trim(CAST(${column} AS VARCHAR)))`;
}

export const sodConflicts: TestTemplate = {
  key: 'sod-conflicts',
  version: 1,
  name: 'Segregation-of-duties conflicts',
  description: `Users who hold both roles of a conflicting pair.

## What it finds
Every user who holds both roles of a pair listed in the conflict matrix. Role names are compared trimmed and ignoring case, and a pair counts in either order, so "AP_CLERK / vendor_maint" and "Vendor_Maint / ap_clerk" are one rule. Each result row is one user and one conflicting pair.

## Why it matters
Segregation of duties keeps any one person from both committing and concealing an error or fraud: creating a vendor and paying it, raising and approving a purchase order, posting and approving a journal entry. A user with both roles of such a pair can bypass the control that the separation provides.

## How to read the results
\`role_a\` and \`role_b\` are the two roles, trimmed and in lower case, with \`role_a\` the first in alphabetical order. \`conflict_description\` joins the descriptions of the matrix rows for the pair. For each row, check whether the combination is approved and covered by a compensating control (such as a review of the user's transactions), and whether the user has actually used both roles.

## Limitations
The test sees only role assignments, so a conflict through roles that grant the same permissions under other names, or through a second account of the same person, is not found. User names are compared exactly after trimming. Pairs of one role with itself, and rows with a missing user or role, are ignored. The result is only as complete as the conflict matrix.`,
  category: 'access-control',
  severity: 'high',
  inputs: [
    {
      name: 'user_roles',
      description: 'User role assignments, one row per user and role.',
      fields: [
        { name: 'user_id', type: 'text', description: 'User account name.', required: true },
        { name: 'role', type: 'text', description: 'Role or profile assigned.', required: true },
      ],
    },
    {
      name: 'conflicts',
      description: 'Conflict matrix: pairs of roles that one user must not hold together.',
      fields: [
        { name: 'role_a', type: 'text', description: 'First role of the pair.', required: true },
        { name: 'role_b', type: 'text', description: 'Second role of the pair.', required: true },
        {
          name: 'description',
          type: 'text',
          description: 'Why the combination is a conflict.',
          required: false,
        },
      ],
    },
  ],
  parameters: [],
  keyColumns: ['user_id', 'role_a', 'role_b'],
  sql: `WITH rules AS (
  SELECT
    least(first_role, second_role) AS role_a,
    greatest(first_role, second_role) AS role_b,
    string_agg(DISTINCT description, '; ' ORDER BY description) AS conflict_description
  FROM (
    SELECT
      ${roleKey('role_a')} AS first_role,
      ${roleKey('role_b')} AS second_role,
      nullif(trim(CAST(description AS VARCHAR)), '') AS description
    FROM conflicts
  )
  WHERE first_role <> '' AND second_role <> '' AND first_role <> second_role
  GROUP BY 1, 2
),
holdings AS (
  SELECT DISTINCT trim(CAST(user_id AS VARCHAR)) AS user_id, ${roleKey('role')} AS role
  FROM user_roles
  WHERE user_id IS NOT NULL AND role IS NOT NULL
)
SELECT
  first_holding.user_id,
  rules.role_a,
  rules.role_b,
  rules.conflict_description
FROM rules
JOIN holdings AS first_holding ON first_holding.role = rules.role_a
JOIN holdings AS second_holding
  ON second_holding.user_id = first_holding.user_id
  AND second_holding.role = rules.role_b
WHERE first_holding.user_id <> ''
ORDER BY first_holding.user_id, rules.role_a, rules.role_b`,
};
