import { benfordTemplate } from './benford-shared.ts';

export const benfordFirstDigit = benfordTemplate({
  key: 'benford-first-digit',
  name: "Benford's law: first digit",
  digitCount: 1,
  digitColumn: 'first_digit',
  madUpperBounds: ['0.006', '0.012', '0.015'],
  description: `Compares the first digits of the amounts with the frequencies Benford's law predicts.

## What it finds
The first digits 1 to 9 whose frequency differs significantly from Benford's law. The test counts the amounts whose absolute value is \`$min_amount\` or more (by default, positive and negative amounts together; \`$sign\` selects one side). The expected proportion of first digit d is log10(1 + 1/d), about 30.1 percent for 1 and 4.6 percent for 9. A digit is an exception when its z-statistic is above \`$z_critical\`.

## Why it matters
Amounts that arise from many independent transactions of different sizes usually follow Benford's law. A population that does not conform, or a digit that is heavily over-represented, points to amounts that were invented, steered below a limit or duplicated in bulk. The first-digit test is a high-level check of a whole population. Use \`benford-first-two\` to see which amounts are over-represented.

## How to read the results
Each row is a digit whose proportion differs significantly: \`digit_count\` amounts start with it, \`observed_proportion\` is their share, \`expected_proportion\` the share Benford's law predicts and \`deviation\` the difference (positive means too many). \`z_statistic\` is Nigrini's z-statistic: |observed − expected| minus the continuity correction 1/(2n) (only when the correction is smaller than the difference), divided by √(expected × (1 − expected) / n).

The summary gives the number of amounts tested (\`n\`), the mean absolute deviation (\`mad\`, the average of |observed − expected| over the nine digits), the chi-square statistic (\`chi_square\`, with \`degrees_of_freedom\` = 8) and the conformity that Nigrini assigns to the MAD: up to 0.006 close conformity, up to 0.012 acceptable, up to 0.015 marginally acceptable, above 0.015 nonconformity. For large populations, judge conformity by the MAD, because the z-statistics and the chi-square become significant for tiny deviations once n is in the tens of thousands.

## Limitations
Benford's law only applies to amounts that span several orders of magnitude and are not assigned (prices, fixed fees, salaries and amounts bounded by a limit do not conform). Populations of fewer than a few hundred amounts give unreliable results. Nonconformity is a reason to look closer, not evidence of fraud. Missing amounts and amounts below \`$min_amount\` are ignored. DOUBLE amounts are rounded to 10 decimals before their digits are read.`,
});
