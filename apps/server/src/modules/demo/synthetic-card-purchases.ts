import { datesBetween, toDayNumber } from './calendar.ts';
import { compareText, formatCents, padNumber, toCsv } from './csv.ts';
import { CARD_MERCHANTS } from './names.ts';
import { createRandom } from './random.ts';
import type { Employee } from './synthetic-people.ts';

/** The single-purchase limit of the split-purchases run, in cents, and its window in days. */
export const CARD_LIMIT_CENTS = 500_000;
export const SPLIT_WINDOW_DAYS = 3;

const CARD_COUNT = 40;
const BASE_PURCHASE_COUNT = 1500;
/** Ordinary purchases stay below 1,500.00. */
const MAX_BASE_CENTS = 149_999;
const MIN_BASE_CENTS = 500;

interface Purchase {
  date: string;
  cardId: string;
  cardholder: string;
  merchant: string;
  category: string;
  amountCents: number;
}

interface PlantedGroup {
  card: number;
  merchant: string;
  category: string;
  purchases: readonly (readonly [date: string, amountCents: number])[];
}

/**
 * Planted split purchases: each group is one card at one merchant, every
 * purchase below the limit, within three days, and together at or above it.
 */
const SPLIT_GROUPS: readonly PlantedGroup[] = [
  {
    card: 6,
    merchant: 'Contoso Electronics',
    category: 'Computer equipment',
    purchases: [
      ['2024-03-11', 248_000],
      ['2024-03-12', 265_000],
    ],
  },
  {
    card: 11,
    merchant: 'Fabrikam Furniture',
    category: 'Office furniture',
    purchases: [
      ['2024-04-22', 195_000],
      ['2024-04-23', 197_500],
      ['2024-04-24', 189_000],
    ],
  },
  {
    card: 18,
    merchant: 'Adventure Works Travel',
    category: 'Travel agencies',
    purchases: [
      ['2024-06-03', 490_000],
      ['2024-06-05', 485_000],
    ],
  },
  {
    card: 22,
    merchant: 'Tailspin Software',
    category: 'Software',
    purchases: [
      ['2024-08-14', 180_000],
      ['2024-08-14', 180_000],
      ['2024-08-14', 175_000],
    ],
  },
  {
    card: 30,
    merchant: 'Litware Lab Supplies',
    category: 'Laboratory supplies',
    purchases: [
      ['2024-10-07', 260_000],
      ['2024-10-10', 259_000],
    ],
  },
];

/**
 * Near misses that the template must not report: two purchases four days
 * apart, and a purchase above the limit followed by a small one.
 */
const NEAR_MISSES: readonly PlantedGroup[] = [
  {
    card: 4,
    merchant: 'Contoso Electronics',
    category: 'Computer equipment',
    purchases: [
      ['2024-09-02', 270_000],
      ['2024-09-06', 260_000],
    ],
  },
  {
    card: 8,
    merchant: 'Woodgrove Office Mart',
    category: 'Office supplies',
    purchases: [
      ['2024-11-18', 620_000],
      ['2024-11-19', 30_000],
    ],
  },
];

/**
 * Generate the corporate-card ledger. Ordinary purchases are below 1,500.00
 * and no card buys more than twice at one merchant within three days, so
 * no window of ordinary purchases reaches the 5,000.00 limit and every
 * split the template finds is a planted one.
 */
export function generateCardPurchases(
  seed: number,
  cardholders: readonly Employee[],
): { content: string; plantedSplits: number } {
  const random = createRandom(seed, 'card-purchases');
  const holders = random.shuffle(cardholders).slice(0, CARD_COUNT);
  if (holders.length < CARD_COUNT) throw new Error('too few employees to hold the cards');
  const cardId = (index: number) => `PC-${padNumber(101 + index, 4)}`;
  const holderName = (index: number) => holders[index]?.name ?? '';
  const days = datesBetween('2024-01-01', '2024-12-31');

  const purchases: Purchase[] = [];
  const recentDays = new Map<string, number[]>();
  while (purchases.length < BASE_PURCHASE_COUNT) {
    const card = random.int(0, CARD_COUNT - 1);
    const [merchant, category] = random.pick(CARD_MERCHANTS);
    const date = random.pick(days);
    const key = `${card}|${merchant}`;
    const day = toDayNumber(date);
    const nearby = (recentDays.get(key) ?? []).filter((other) => Math.abs(other - day) <= 3);
    if (nearby.length >= 2) continue;
    recentDays.set(key, [...(recentDays.get(key) ?? []), day]);
    const amountCents = Math.round(
      10 **
        (Math.log10(MIN_BASE_CENTS) + random.next() * Math.log10(MAX_BASE_CENTS / MIN_BASE_CENTS)),
    );
    purchases.push({
      date,
      cardId: cardId(card),
      cardholder: holderName(card),
      merchant,
      category,
      amountCents,
    });
  }

  for (const group of [...SPLIT_GROUPS, ...NEAR_MISSES]) {
    for (const [date, amountCents] of group.purchases) {
      purchases.push({
        date,
        cardId: cardId(group.card),
        cardholder: holderName(group.card),
        merchant: group.merchant,
        category: group.category,
        amountCents,
      });
    }
  }

  purchases.sort(
    (a, b) =>
      compareText(a.date, b.date) ||
      compareText(a.cardId, b.cardId) ||
      compareText(a.merchant, b.merchant) ||
      a.amountCents - b.amountCents,
  );
  return {
    content: toCsv(
      [
        'transaction_id',
        'transaction_date',
        'card_id',
        'cardholder',
        'merchant',
        'merchant_category',
        'amount',
        'currency',
      ],
      purchases.map((purchase, index) => [
        `CT-${padNumber(index + 1, 6)}`,
        purchase.date,
        purchase.cardId,
        purchase.cardholder,
        purchase.merchant,
        purchase.category,
        formatCents(purchase.amountCents),
        'USD',
      ]),
    ),
    plantedSplits: SPLIT_GROUPS.length,
  };
}
