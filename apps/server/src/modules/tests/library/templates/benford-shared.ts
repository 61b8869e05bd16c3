import type { TemplateInput, TemplateParameter, TestTemplate } from '../template.ts';

/**
 * Shared parts of the two Benford templates. They differ only in the number
 * of leading digits tested and in the MAD conformity ranges.
 */
export interface BenfordVariant {
  key: string;
  name: string;
  /** 1 for the first-digit test, 2 for the first-two-digits test. */
  digitCount: 1 | 2;
  /** Name of the result column that contains the tested digits. */
  digitColumn: string;
  /**
   * Upper bounds of the MAD for close, acceptable and marginally acceptable
   * conformity, as SQL decimal literals. A larger MAD is nonconformity.
   */
  madUpperBounds: readonly [string, string, string];
  description: string;
}

export const BENFORD_INPUTS: TemplateInput[] = [
  {
    name: 'transactions',
    description: 'Amounts to test, one row per amount (payments, invoices or journal-entry lines).',
    fields: [{ name: 'amount', type: 'decimal', description: 'Amount.', required: true }],
  },
];

export const BENFORD_PARAMETERS: TemplateParameter[] = [
  {
    name: 'min_amount',
    type: 'decimal',
    default: '10',
    description:
      'Smallest absolute amount tested (at least 0.000001). Small amounts distort the test, so 10 is the usual choice.',
  },
  {
    name: 'sign',
    type: 'text',
    default: 'both',
    description:
      'Which amounts to test: "both" (the absolute value of every amount), "positive" or "negative".',
  },
  {
    name: 'z_critical',
    type: 'decimal',
    default: '1.96',
    description:
      'A digit is an exception when its z-statistic is above this value (1.96 is the 5 percent significance level, 2.57 the 1 percent level).',
  },
];

/**
 * Common table expressions of both queries: the tested amounts, the count
 * of each leading-digit value, and its proportions and z-statistic.
 */
function statisticsSql(variant: BenfordVariant): string {
  const first = variant.digitCount === 1 ? 1 : 10;
  const end = variant.digitCount === 1 ? 10 : 100;
  return `WITH settings AS (
  SELECT
    CASE
      WHEN $min_amount >= 0.000001 THEN $min_amount
      ELSE error('min_amount must be at least 0.000001, got ' || $min_amount)
    END AS min_amount,
    CASE
      WHEN $sign IN ('both', 'positive', 'negative') THEN $sign
      ELSE error('sign must be both, positive or negative, got ' || $sign)
    END AS sign,
    CASE
      WHEN $z_critical >= 0 THEN $z_critical
      ELSE error('z_critical must be 0 or more, got ' || $z_critical)
    END AS z_critical
),
tested AS (
  -- The leading digits are read from the decimal text of the absolute value,
  -- which is exact for DECIMAL amounts (a DOUBLE is rounded to 10 decimals).
  SELECT CAST(left(regexp_extract(
      replace(CAST(CAST(abs(t.amount) AS DECIMAL(38, 10)) AS VARCHAR), '.', ''),
      '[1-9][0-9]'), ${variant.digitCount}) AS INTEGER) AS leading_digits
  FROM transactions AS t
  CROSS JOIN settings
  WHERE t.amount IS NOT NULL
    AND abs(t.amount) >= settings.min_amount
    AND (
      settings.sign = 'both'
      OR (settings.sign = 'positive' AND t.amount > 0)
      OR (settings.sign = 'negative' AND t.amount < 0)
    )
),
digit_counts AS (
  SELECT CAST(possible.digits AS INTEGER) AS digits, count(tested.leading_digits) AS digit_count
  FROM range(${first}, ${end}) AS possible(digits)
  LEFT JOIN tested ON tested.leading_digits = possible.digits
  GROUP BY possible.digits
),
totals AS (
  SELECT CAST(sum(digit_count) AS BIGINT) AS n FROM digit_counts
),
proportions AS (
  SELECT
    c.digits,
    c.digit_count,
    totals.n,
    CAST(c.digit_count AS DOUBLE) / nullif(totals.n, 0) AS observed_proportion,
    log10(1 + 1 / CAST(c.digits AS DOUBLE)) AS expected_proportion
  FROM digit_counts AS c
  CROSS JOIN totals
),
digit_statistics AS (
  SELECT
    *,
    abs(observed_proportion - expected_proportion) AS absolute_deviation,
    -- Nigrini's z-statistic: the continuity correction 1/(2n) is subtracted
    -- only when it is smaller than the absolute deviation.
    (CASE
      WHEN 1.0 / (2 * n) < abs(observed_proportion - expected_proportion)
        THEN abs(observed_proportion - expected_proportion) - 1.0 / (2 * n)
      ELSE abs(observed_proportion - expected_proportion)
    END) / sqrt(expected_proportion * (1 - expected_proportion) / n) AS z_statistic
  FROM proportions
)`;
}

function exceptionsSql(variant: BenfordVariant): string {
  return `${statisticsSql(variant)}
SELECT
  s.digits AS ${variant.digitColumn},
  s.digit_count,
  round(s.observed_proportion, 6) AS observed_proportion,
  round(s.expected_proportion, 6) AS expected_proportion,
  round(s.observed_proportion - s.expected_proportion, 6) AS deviation,
  round(s.z_statistic, 4) AS z_statistic
FROM digit_statistics AS s
CROSS JOIN settings
WHERE s.z_statistic > settings.z_critical
ORDER BY s.digits`;
}

function summarySql(variant: BenfordVariant): string {
  const [close, acceptable, marginal] = variant.madUpperBounds;
  return `${statisticsSql(variant)},
summary AS (
  SELECT
    max(s.n) AS n,
    -- Summing a sorted list keeps the floating-point result independent of thread scheduling.
    CASE WHEN max(s.n) > 0 THEN list_sum(list(s.absolute_deviation ORDER BY s.digits)) / count(*) END AS mad,
    CASE
      WHEN max(s.n) > 0 THEN list_sum(list(
        power(s.digit_count - s.n * s.expected_proportion, 2) / (s.n * s.expected_proportion)
        ORDER BY s.digits))
    END AS chi_square,
    count(*) - 1 AS degrees_of_freedom,
    count(*) FILTER (WHERE s.z_statistic > settings.z_critical) AS significant_digit_count
  FROM digit_statistics AS s
  CROSS JOIN settings
)
SELECT
  n,
  mad,
  chi_square,
  degrees_of_freedom,
  CASE
    WHEN mad IS NULL THEN NULL
    WHEN mad <= ${close} THEN 'close conformity'
    WHEN mad <= ${acceptable} THEN 'acceptable conformity'
    WHEN mad <= ${marginal} THEN 'marginally acceptable conformity'
    ELSE 'nonconformity'
  END AS conformity,
  significant_digit_count
FROM summary`;
}

export function benfordTemplate(variant: BenfordVariant): TestTemplate {
  return {
    key: variant.key,
    version: 1,
    name: variant.name,
    description: variant.description,
    category: 'digital-analysis',
    severity: 'low',
    inputs: BENFORD_INPUTS,
    parameters: BENFORD_PARAMETERS,
    keyColumns: [variant.digitColumn],
    sql: exceptionsSql(variant),
    summarySql: summarySql(variant),
  };
}
