/**
 * Arithmetic on tree sizes and leaf indexes.
 *
 * JavaScript's bitwise operators work on 32-bit integers, so these helpers
 * use division instead. They stay exact for every safe integer, which lets a
 * tree grow past 2^32 leaves.
 */

/** Reports whether the value is a safe integer of at least 0. */
export function isTreeSize(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

export function isOdd(value: number): boolean {
  return value % 2 === 1;
}

/** Shifts a non-negative integer right by one bit. */
export function halve(value: number): number {
  return Math.floor(value / 2);
}

export function isPowerOfTwo(value: number): boolean {
  if (value < 1) return false;

  let rest = value;
  while (!isOdd(rest)) rest = halve(rest);
  return rest === 1;
}

/** Counts the 1 bits of a non-negative integer (its popcount). */
export function countSetBits(value: number): number {
  let count = 0;
  for (let rest = value; rest > 0; rest = halve(rest)) {
    if (isOdd(rest)) count += 1;
  }
  return count;
}

/**
 * Returns the largest power of two that is smaller than `size`, the split
 * point k of RFC 9162 section 2.1.1. The size must be at least 2.
 */
export function largestPowerOfTwoBelow(size: number): number {
  let power = 1;
  while (power * 2 < size) power *= 2;
  return power;
}
