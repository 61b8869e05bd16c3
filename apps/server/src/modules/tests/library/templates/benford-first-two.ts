import { benfordTemplate } from './benford-shared.ts';

export const benfordFirstTwo = benfordTemplate({
  key: 'benford-first-two',
  name: "Benford's law: first two digits",
  digitCount: 2,
  digitColumn: 'first_two_digits',
  madUpperBounds: ['0.0012', '0.0018', '0.0022'],
  description: `Compares the first two digits of the amounts with the frequencies Benford's law predicts.

## What it finds
The first-two-digit combinations 10 to 99 whose frequency differs significantly from Benford's law. The test counts the amounts whose absolute value is \`$min_amount\` or more (by default, positive and negative amounts together; \`$sign\` selects one side). The expected proportion of the first two digits d is log10(1 + 1/d), about 4.1 percent for 10 and 0.44 percent for 99. A combination is an exception when its z-statistic is above \`$z_critical\`.

## Why it matters
The first-two-digits test is the most focused of Nigrini's primary tests: a spike at 48 or 49 points to amounts kept just below a limit of 5,000 or 50,000, a spike at 10 to many amounts just above 1,000 or 10,000, and a spike at one combination to amounts repeated in bulk. Amounts that arise from many independent transactions of different sizes usually follow Benford's law, so such spikes are worth explaining.

## How to read the results
Each row is a combination whose proportion differs significantly: \`digit_count\` amounts start with it, \`observed_proportion\` is their share, \`expected_proportion\` the share Benford's law predicts and \`deviation\` the difference (positive means too many). \`z_statistic\` is Nigrini's z-statistic: |observed − expected| minus the continuity correction 1/(2n) (only when the correction is smaller than the difference), divided by √(expected × (1 − expected) / n). Start with the largest positive deviations and list the amounts behind them.

The summary gives the number of amounts tested (\`n\`), the mean absolute deviation (\`mad\`, the average of |observed − expected| over the 90 combinations), the chi-square statistic (\`chi_square\`, with \`degrees_of_freedom\` = 89) and the conformity that Nigrini assigns to the MAD: up to 0.0012 close conformity, up to 0.0018 acceptable, up to 0.0022 marginally acceptable, above 0.0022 nonconformity. For large populations, judge conformity by the MAD, because the z-statistics and the chi-square become significant for tiny deviations once n is in the tens of thousands.

## Limitations
Benford's law only applies to amounts that span several orders of magnitude and are not assigned (prices, fixed fees, salaries and amounts bounded by a limit do not conform). With 90 combinations the test needs more data than the first-digit test: a few thousand amounts at least. Small amounts (bank charges, rounding differences) distort the test, which is why \`$min_amount\` defaults to 10. Nonconformity is a reason to look closer, not evidence of fraud. Missing amounts and amounts below \`$min_amount\` are ignored. DOUBLE amounts are rounded to 10 decimals before their digits are read.`,
});
