/**
 * The digits that the Benford templates flag, computed here from the
 * amounts the generator wrote. Benford deviations are not planted: they are
 * whatever the random amounts produce, so the demo predicts them with the
 * same statistic the templates use (Nigrini's z-statistic with the
 * continuity correction 1/(2n), which is subtracted only when it is smaller
 * than the absolute deviation).
 */
export function benfordFlaggedDigits(
  amountsCents: readonly number[],
  digitCount: 1 | 2,
  options: { minAmountCents: number; zCritical: number },
): number[] {
  const first = digitCount === 1 ? 1 : 10;
  const end = digitCount === 1 ? 10 : 100;
  const counts = new Map<number, number>();
  let n = 0;
  for (const cents of amountsCents) {
    const absolute = Math.abs(cents);
    if (absolute < options.minAmountCents || absolute === 0) continue;
    // The digits of the amount in cents are those of its decimal text without the point.
    const leading = Number(String(absolute).slice(0, digitCount));
    if (leading < first) continue;
    counts.set(leading, (counts.get(leading) ?? 0) + 1);
    n++;
  }
  if (n === 0) return [];

  const flagged: number[] = [];
  for (let digits = first; digits < end; digits++) {
    const observed = (counts.get(digits) ?? 0) / n;
    const expected = Math.log10(1 + 1 / digits);
    const deviation = Math.abs(observed - expected);
    const correction = 1 / (2 * n);
    const numerator = correction < deviation ? deviation - correction : deviation;
    const z = numerator / Math.sqrt((expected * (1 - expected)) / n);
    if (z > options.zCritical) flagged.push(digits);
  }
  return flagged;
}
