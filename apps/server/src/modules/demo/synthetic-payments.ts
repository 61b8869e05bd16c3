import { addDays, businessDaysBetween, nextBusinessDay } from './calendar.ts';
import { compareText, formatCents, padNumber, toCsv } from './csv.ts';
import { createRandom, type Random } from './random.ts';
import type { Vendor } from './synthetic-people.ts';

const BASE_PAYMENT_COUNT = 3000;
/** The approval limit of the just-below-limit run, in cents, and the 5 percent band below it. */
export const APPROVAL_LIMIT_CENTS = 1_000_000;
const JUST_BELOW_LOWER_CENTS = 950_000;
/** Round amounts are multiples of 1,000.00 from 10,000.00 up, as in the round-amounts run. */
const ROUND_MULTIPLE_CENTS = 100_000;
const ROUND_THRESHOLD_CENTS = 1_000_000;

const ROUND_AMOUNTS_CENTS = [
  1_000_000, 1_200_000, 2_500_000, 3_000_000, 5_000_000, 7_500_000, 10_000_000,
];
const JUST_BELOW_AMOUNTS_CENTS = [
  950_000, 964_000, 972_040, 980_000, 987_500, 995_000, 999_000, 999_900, 999_999,
];
/** Fractions of the payment listing where numbers are skipped, and how many. */
const GAP_RUNS: readonly (readonly [position: number, missing: number])[] = [
  [0.11, 1],
  [0.37, 1],
  [0.58, 2],
  [0.83, 3],
];
/** Fractions of the payment listing where a payment repeats the previous number. */
const REPEATED_NUMBER_POSITIONS = [0.24, 0.49, 0.71];

interface Payment {
  vendor: Vendor;
  invoiceNumber: string;
  invoiceDate: string;
  paymentDate: string;
  amountCents: number;
  method: string;
  paymentNumber: string;
}

export interface PaymentsData {
  content: string;
  /** Every amount in the file, for the Benford prediction. */
  amountsCents: number[];
  planted: {
    exactDuplicates: number;
    likelyDuplicates: number;
    roundAmounts: number;
    justBelowLimit: number;
    sequenceIssues: number;
  };
}

/** Issues invoice numbers in one of four formats per vendor, as different billing systems do. */
function createInvoiceNumbering(random: Random, vendors: readonly Vendor[]) {
  const counters = new Map(vendors.map((vendor) => [vendor.id, random.int(1000, 60000)]));
  return (vendor: Vendor, index: number): string => {
    const number = (counters.get(vendor.id) ?? 1000) + random.int(1, 40);
    counters.set(vendor.id, number);
    switch (index % 4) {
      case 0:
        return `INV-${padNumber(number, 6)}`;
      case 1:
        return String(number);
      case 2:
        return `${vendor.name.slice(0, 2).toUpperCase()}-2024-${padNumber(number, 5)}`;
      default:
        return padNumber(number, 8);
    }
  };
}

/**
 * Spell an invoice number differently but so that it normalizes alike
 * (case, punctuation and leading zeros ignored), as a re-keyed invoice does.
 */
function rekeyedInvoiceNumber(invoiceNumber: string): string {
  if (/^\d+$/.test(invoiceNumber)) {
    return invoiceNumber.startsWith('0') ? invoiceNumber.replace(/^0+/, '') : `00${invoiceNumber}`;
  }
  return invoiceNumber
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .replace(/\b0+(\d)/g, '$1');
}

function paymentMethod(random: Random, amountCents: number): string {
  if (amountCents >= 2_500_000) return 'Wire';
  return random.chance(0.75) ? 'ACH' : 'Check';
}

/** Amounts from 10.00 to 100,000.00, uniform in their logarithm, so their digits follow Benford's law. */
function drawAmountCents(random: Random): number {
  return Math.round(10 ** (3 + 4 * random.next()));
}

/** True for an amount that a base payment must not have, because a template would flag it. */
function isPlantedKind(cents: number): boolean {
  const justBelow = cents >= JUST_BELOW_LOWER_CENTS && cents < APPROVAL_LIMIT_CENTS;
  const round = cents >= ROUND_THRESHOLD_CENTS && cents % ROUND_MULTIPLE_CENTS === 0;
  return justBelow || round;
}

/**
 * Generate the AP payments ledger. Base payments are clean for every
 * template: each vendor and amount occurs once, and no amount is round or
 * just below the approval limit. Then the planted payments are added, and
 * payment numbers are assigned in date order with planted gaps and repeats.
 */
export function generatePayments(seed: number, vendors: readonly Vendor[]): PaymentsData {
  const random = createRandom(seed, 'ap-payments');
  const vendorIndex = new Map(vendors.map((vendor, index) => [vendor.id, index]));
  const nextInvoiceNumber = createInvoiceNumbering(random, vendors);
  const invoiceFor = (vendor: Vendor) => nextInvoiceNumber(vendor, vendorIndex.get(vendor.id) ?? 0);
  const paymentDays = businessDaysBetween('2024-01-02', '2024-12-31');
  const usedVendorAmounts = new Set<string>();

  const payment = (vendor: Vendor, amountCents: number, paymentDate: string): Payment => {
    usedVendorAmounts.add(`${vendor.id}|${amountCents}`);
    return {
      vendor,
      invoiceNumber: invoiceFor(vendor),
      invoiceDate: addDays(paymentDate, -random.int(5, 45)),
      paymentDate,
      amountCents,
      method: paymentMethod(random, amountCents),
      paymentNumber: '',
    };
  };

  const base: Payment[] = [];
  while (base.length < BASE_PAYMENT_COUNT) {
    const vendor = random.pick(vendors);
    const amountCents = drawAmountCents(random);
    if (isPlantedKind(amountCents) || usedVendorAmounts.has(`${vendor.id}|${amountCents}`))
      continue;
    base.push(payment(vendor, amountCents, random.pick(paymentDays)));
  }

  // Each planted case copies a base payment of its own, paid by the end of October,
  // so that its copies still fall in 2024.
  const copiedIndexes = new Set<number>();
  const takeBasePayment = (): Payment => {
    for (;;) {
      const index = random.int(0, base.length - 1);
      const candidate = base[index];
      if (
        candidate !== undefined &&
        !copiedIndexes.has(index) &&
        candidate.paymentDate <= '2024-10-31'
      ) {
        copiedIndexes.add(index);
        return candidate;
      }
    }
  };
  const copy = (
    original: Payment,
    paymentDate: string,
    invoiceNumber = original.invoiceNumber,
  ) => ({
    ...original,
    invoiceNumber,
    paymentDate,
  });

  const planted: Payment[] = [];
  // Exact duplicates: five groups, one paid the same day and one paid three times.
  for (let group = 0; group < 3; group++) {
    const original = takeBasePayment();
    planted.push(copy(original, nextBusinessDay(addDays(original.paymentDate, random.int(7, 28)))));
  }
  const sameDay = takeBasePayment();
  planted.push(copy(sameDay, sameDay.paymentDate));
  const thrice = takeBasePayment();
  planted.push(copy(thrice, nextBusinessDay(addDays(thrice.paymentDate, 14))));
  planted.push(copy(thrice, nextBusinessDay(addDays(thrice.paymentDate, 35))));

  // Likely duplicates: six pairs at most 28 days apart, four re-keyed and two
  // under an unrelated reference such as a payment reminder.
  for (let pair = 0; pair < 6; pair++) {
    const original = takeBasePayment();
    const paidAgain = nextBusinessDay(addDays(original.paymentDate, random.int(3, 24)));
    const invoiceNumber =
      pair < 4
        ? rekeyedInvoiceNumber(original.invoiceNumber)
        : `REM-${padNumber(random.int(1, 99999), 5)}`;
    planted.push(copy(original, paidAgain, invoiceNumber));
  }

  // Round amounts, to vendors picked at random.
  for (const amountCents of ROUND_AMOUNTS_CENTS) {
    planted.push(payment(random.pick(vendors), amountCents, random.pick(paymentDays)));
  }

  // Amounts just below the approval limit, four of them to one vendor.
  const steered = random.pick(vendors);
  JUST_BELOW_AMOUNTS_CENTS.forEach((amountCents, index) => {
    const vendor = index < 4 ? steered : random.pick(vendors);
    planted.push(payment(vendor, amountCents, random.pick(paymentDays)));
  });

  const payments = [...base, ...planted].sort(
    (a, b) =>
      compareText(a.paymentDate, b.paymentDate) ||
      compareText(a.vendor.id, b.vendor.id) ||
      compareText(a.invoiceNumber, b.invoiceNumber),
  );
  numberPayments(payments);

  return {
    content: toCsv(
      [
        'payment_number',
        'payment_date',
        'vendor_id',
        'vendor_name',
        'invoice_number',
        'invoice_date',
        'amount',
        'currency',
        'payment_method',
      ],
      payments.map((row) => [
        row.paymentNumber,
        row.paymentDate,
        row.vendor.id,
        row.vendor.name,
        row.invoiceNumber,
        row.invoiceDate,
        formatCents(row.amountCents),
        'USD',
        row.method,
      ]),
    ),
    amountsCents: payments.map((row) => row.amountCents),
    planted: {
      exactDuplicates: 5,
      likelyDuplicates: 6,
      roundAmounts: ROUND_AMOUNTS_CENTS.length,
      justBelowLimit: JUST_BELOW_AMOUNTS_CENTS.length,
      sequenceIssues: GAP_RUNS.length + REPEATED_NUMBER_POSITIONS.length,
    },
  };
}

/**
 * Assign payment numbers PAY-2024-100001 onwards in listing order, skipping
 * numbers at GAP_RUNS and repeating the previous number at
 * REPEATED_NUMBER_POSITIONS. The last repeat is written with a leading zero,
 * which the sequence template still reads as the same number.
 */
function numberPayments(payments: Payment[]): void {
  const gaps = new Map(
    GAP_RUNS.map(([position, missing]) => [Math.floor(position * payments.length), missing]),
  );
  const repeats = REPEATED_NUMBER_POSITIONS.map((position) =>
    Math.floor(position * payments.length),
  );
  const lastRepeat = repeats[repeats.length - 1];
  let next = 100001;
  payments.forEach((row, index) => {
    next += gaps.get(index) ?? 0;
    if (repeats.includes(index)) {
      const repeated = next - 1;
      row.paymentNumber = index === lastRepeat ? `PAY-2024-0${repeated}` : `PAY-2024-${repeated}`;
      return;
    }
    row.paymentNumber = `PAY-2024-${next}`;
    next++;
  });
}
