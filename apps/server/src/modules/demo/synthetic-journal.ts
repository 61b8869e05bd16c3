import { businessDaysBetween, HOLIDAYS, isHoliday, isWeekend } from './calendar.ts';
import { compareText, formatCents, padNumber, toCsv } from './csv.ts';
import { createRandom, type Random } from './random.ts';

const BASE_ENTRY_COUNT = 700;

const ACCOUNTS: Record<string, string> = {
  '1000': 'Cash',
  '1200': 'Accounts receivable',
  '1400': 'Inventory',
  '1500': 'Prepaid expenses',
  '1700': 'Fixed assets',
  '2000': 'Accounts payable',
  '2100': 'Accrued liabilities',
  '4000': 'Revenue',
  '5000': 'Cost of goods sold',
  '6100': 'Salaries',
  '6200': 'Rent',
  '6300': 'Utilities',
  '6400': 'Travel',
  '6500': 'Professional fees',
  '6600': 'Depreciation',
};

/** Kinds of entries: debit account, credit account, description and source system. */
const ENTRY_KINDS: readonly (readonly [
  debit: string,
  credit: string,
  description: string,
  source: string,
])[] = [
  ['1200', '4000', 'Customer invoice', 'AR'],
  ['1000', '1200', 'Customer receipt', 'AR'],
  ['1400', '2000', 'Inventory purchase', 'AP'],
  ['2000', '1000', 'Vendor payment', 'AP'],
  ['5000', '1400', 'Cost of sales', 'Inventory'],
  ['6100', '1000', 'Payroll', 'Payroll'],
  ['6200', '2100', 'Rent accrual', 'Manual'],
  ['6300', '2000', 'Utility invoice', 'AP'],
  ['6400', '2000', 'Travel expenses', 'Expenses'],
  ['6500', '2100', 'Professional fees accrual', 'Manual'],
  ['6600', '1700', 'Monthly depreciation', 'Fixed assets'],
  ['1500', '1000', 'Prepaid insurance', 'Manual'],
];

const POSTERS = [
  'gl.batch',
  'ap.interface',
  'ar.interface',
  'amoreau',
  'hnakamura',
  'jvarga',
] as const;

/** Entries planted on a Saturday or Sunday, and on public holidays of the holiday calendar. */
const WEEKEND_DATES = [
  '2024-02-10',
  '2024-03-31',
  '2024-05-18',
  '2024-06-30',
  '2024-08-24',
  '2024-10-13',
];
const HOLIDAY_DATES = ['2024-07-04', '2024-11-28', '2024-12-25'];

interface Entry {
  postingDate: string;
  kind: (typeof ENTRY_KINDS)[number];
  amountCents: number;
  postedBy: string;
}

function drawEntry(random: Random, postingDate: string): Entry {
  return {
    postingDate,
    kind: random.pick(ENTRY_KINDS),
    amountCents: Math.round(10 ** (4 + 3.5 * random.next())),
    postedBy: random.pick(POSTERS),
  };
}

/**
 * Generate the general-ledger journal (two lines per entry, debits positive
 * and credits negative) and its holiday calendar. Ordinary entries post on
 * business days only, so every weekend or holiday entry is a planted one.
 */
export function generateJournal(seed: number): {
  journal: string;
  holidays: string;
  plantedPostings: number;
} {
  const random = createRandom(seed, 'gl-journal');
  const postingDays = businessDaysBetween('2024-01-02', '2024-12-31');
  const entries: Entry[] = [];
  for (let index = 0; index < BASE_ENTRY_COUNT; index++) {
    entries.push(drawEntry(random, random.pick(postingDays)));
  }

  const plantedDates = [...WEEKEND_DATES, ...HOLIDAY_DATES];
  for (const date of plantedDates) {
    // Guards the hand-written dates above, which must each be a weekend day or a listed holiday.
    const fitsItsList = WEEKEND_DATES.includes(date) ? isWeekend(date) : isHoliday(date);
    if (!fitsItsList) {
      throw new Error(`planted posting date ${date} is not a weekend day or holiday`);
    }
    entries.push(drawEntry(random, date));
  }

  entries.sort((a, b) => compareText(a.postingDate, b.postingDate));
  const rows: string[][] = [];
  entries.forEach((entry, index) => {
    const entryNumber = `JE-2024-${padNumber(index + 1, 6)}`;
    const [debit, credit, description, source] = entry.kind;
    const lines: [account: string, cents: number][] = [
      [debit, entry.amountCents],
      [credit, -entry.amountCents],
    ];
    lines.forEach(([account, cents], lineIndex) => {
      rows.push([
        entryNumber,
        String(lineIndex + 1),
        entry.postingDate,
        account,
        ACCOUNTS[account] ?? '',
        description,
        formatCents(cents),
        source,
        entry.postedBy,
      ]);
    });
  });

  return {
    journal: toCsv(
      [
        'entry_number',
        'line_number',
        'posting_date',
        'account',
        'account_name',
        'description',
        'amount',
        'source',
        'posted_by',
      ],
      rows,
    ),
    holidays: toCsv(
      ['holiday_date', 'holiday_name', 'country'],
      HOLIDAYS.map(([date, name]) => [date, name, 'US']),
    ),
    plantedPostings: plantedDates.length,
  };
}
