// Deterministic payment ledger for the test-engine benchmark: the same
// --rows and --seed always give the same CSV, byte for byte.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';

/** Every DUPLICATE_INTERVAL-th row repeats an earlier payment, so 0.01 % of rows are planted duplicates. */
export const DUPLICATE_INTERVAL = 10_000;

/**
 * How far back a planted duplicate reaches for the payment it repeats.
 * It is smaller than DUPLICATE_INTERVAL, so the repeated payment is never
 * itself a planted row and every group has exactly two payments.
 */
const DUPLICATE_LOOKBACK = 1_000;

const VENDOR_COUNT = 5_000;
const PAYMENT_DAYS = 730;
const FIRST_PAYMENT_DAY = Date.UTC(2023, 0, 1);
const ROWS_PER_CHUNK = 10_000;

export const LEDGER_COLUMNS = ['vendor_id', 'invoice_number', 'amount', 'payment_date'] as const;

export interface Ledger {
  path: string;
  rows: number;
  bytes: number;
  /** Groups of exact duplicates (same vendor, invoice number and amount) planted in the file. */
  duplicateGroups: number;
}

/** Mulberry32: a small 32-bit PRNG, enough for test data and fully determined by its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function formatCents(cents: number): string {
  const whole = Math.floor(cents / 100);
  const fraction = cents % 100;
  return `${whole}.${fraction < 10 ? '0' : ''}${fraction}`;
}

/**
 * Write `rows` payments to `path` as CSV with a header.
 *
 * - vendor_id: one of 5,000 vendors, V00000 to V04999.
 * - invoice_number: INV- and the 1-based row number, so it is unique per row.
 * - amount: log-uniform between 1.00 and 1,000,000.00 with two decimals,
 *   so the first digits follow Benford's law closely.
 * - payment_date: a day in 2023 or 2024, as YYYY-MM-DD.
 *
 * Every DUPLICATE_INTERVAL-th row copies the vendor, invoice number and
 * amount of one of the DUPLICATE_LOOKBACK rows before it, with its own date.
 */
export async function writeLedger(path: string, rows: number, seed: number): Promise<Ledger> {
  const random = mulberry32(seed);
  const days = Array.from({ length: PAYMENT_DAYS }, (_, day) =>
    new Date(FIRST_PAYMENT_DAY + day * 86_400_000).toISOString().slice(0, 10),
  );
  const vendors = Array.from(
    { length: VENDOR_COUNT },
    (_, vendor) => `V${String(vendor).padStart(5, '0')}`,
  );
  // The last DUPLICATE_LOOKBACK rows, by row number modulo the lookback.
  const recentVendor = new Int32Array(DUPLICATE_LOOKBACK);
  const recentCents = new Float64Array(DUPLICATE_LOOKBACK);

  const output = createWriteStream(path);
  let bytes = 0;
  const header = `${LEDGER_COLUMNS.join(',')}\n`;
  output.write(header);
  bytes += header.length;

  let duplicateGroups = 0;
  for (let first = 0; first < rows; first += ROWS_PER_CHUNK) {
    const last = Math.min(first + ROWS_PER_CHUNK, rows);
    let chunk = '';
    for (let row = first; row < last; row += 1) {
      let vendor: number;
      let cents: number;
      let invoiceRow: number;
      if ((row + 1) % DUPLICATE_INTERVAL === 0) {
        invoiceRow = row - 1 - Math.floor(random() * DUPLICATE_LOOKBACK);
        vendor = recentVendor[invoiceRow % DUPLICATE_LOOKBACK] ?? 0;
        cents = recentCents[invoiceRow % DUPLICATE_LOOKBACK] ?? 0;
        duplicateGroups += 1;
      } else {
        invoiceRow = row;
        vendor = Math.floor(random() * VENDOR_COUNT);
        cents = Math.round(10 ** (2 + 6 * random()));
      }
      recentVendor[row % DUPLICATE_LOOKBACK] = vendor;
      recentCents[row % DUPLICATE_LOOKBACK] = cents;
      const day = days[Math.floor(random() * PAYMENT_DAYS)];
      chunk += `${vendors[vendor]},INV-${String(invoiceRow + 1).padStart(8, '0')},${formatCents(cents)},${day}\n`;
    }
    // Every character is ASCII, so the string length is the byte count.
    bytes += chunk.length;
    if (!output.write(chunk)) await once(output, 'drain');
  }
  output.end();
  await finished(output);
  return { path, rows, bytes, duplicateGroups };
}
