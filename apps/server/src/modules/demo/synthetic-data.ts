import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { benfordFlaggedDigits } from './benford.ts';
import { generateCardPurchases } from './synthetic-card-purchases.ts';
import { generateJournal } from './synthetic-journal.ts';
import { generatePayments } from './synthetic-payments.ts';
import { generatePeople } from './synthetic-people.ts';
import { generatePurchasing } from './synthetic-purchasing.ts';

/** The seed of the demo data. Another seed gives other data with the same planted counts. */
export const DEMO_SEED = 20240101;

/** Smallest amount and z-statistic threshold of the demo's Benford runs, as the templates' defaults. */
export const BENFORD_MIN_AMOUNT_CENTS = 1000;
export const BENFORD_Z_CRITICAL = 1.96;

/** The demo datasets, by the file the generator writes. */
export const DEMO_FILES = {
  apPayments: 'synthetic-ap-payments.csv',
  cardPurchases: 'synthetic-card-transactions.csv',
  glJournal: 'synthetic-gl-journal.csv',
  holidays: 'synthetic-holiday-calendar.csv',
  vendorMaster: 'synthetic-vendor-master.csv',
  employeeMaster: 'synthetic-employee-master.csv',
  hrTerminations: 'synthetic-hr-terminations.csv',
  systemAccess: 'synthetic-system-access.csv',
  userRoles: 'synthetic-erp-user-roles.csv',
  sodMatrix: 'synthetic-sod-conflict-matrix.csv',
  purchaseOrders: 'synthetic-purchase-orders.csv',
  goodsReceipts: 'synthetic-goods-receipts.csv',
  vendorInvoices: 'synthetic-vendor-invoices.csv',
} as const;

export type DemoFileKey = keyof typeof DEMO_FILES;

export interface SyntheticFile {
  key: DemoFileKey;
  fileName: string;
  content: string;
  /** Data rows, without the header. */
  rowCount: number;
  sha256: string;
}

/** Source of an expected exception count: planted or computed. */
export type ExpectationSource = 'planted' | 'computed';

export interface ExpectedExceptions {
  count: number;
  /** `planted` for anomalies put in on purpose, `computed` for the statistical Benford tests. */
  source: ExpectationSource;
  /** For the Benford templates, the leading digits expected to be flagged. */
  digits?: number[];
}

export interface SyntheticData {
  seed: number;
  files: SyntheticFile[];
  /** Expected exception count of each library template's demo run, by template key. */
  expected: Record<string, ExpectedExceptions>;
}

function syntheticFile(key: DemoFileKey, content: string): SyntheticFile {
  return {
    key,
    fileName: DEMO_FILES[key],
    content,
    rowCount: content.split('\n').length - 2,
    sha256: createHash('sha256').update(content).digest('hex'),
  };
}

/**
 * Generate every synthetic demo file in memory, and the number of
 * exceptions each library template should find in them. The same seed
 * gives the same bytes on every run and machine. Every name, address,
 * account and amount is invented.
 */
export function generateSyntheticData(seed: number = DEMO_SEED): SyntheticData {
  const people = generatePeople(seed);
  const payments = generatePayments(seed, people.vendors);
  const cards = generateCardPurchases(seed, people.currentEmployees);
  const journal = generateJournal(seed);
  const purchasing = generatePurchasing(seed, people.vendors);

  const files = [
    syntheticFile('apPayments', payments.content),
    syntheticFile('cardPurchases', cards.content),
    syntheticFile('glJournal', journal.journal),
    syntheticFile('holidays', journal.holidays),
    syntheticFile('vendorMaster', people.files.vendorMaster),
    syntheticFile('employeeMaster', people.files.employeeMaster),
    syntheticFile('hrTerminations', people.files.hrTerminations),
    syntheticFile('systemAccess', people.files.systemAccess),
    syntheticFile('userRoles', people.files.userRoles),
    syntheticFile('sodMatrix', people.files.sodMatrix),
    syntheticFile('purchaseOrders', purchasing.orders),
    syntheticFile('goodsReceipts', purchasing.receipts),
    syntheticFile('vendorInvoices', purchasing.invoices),
  ];

  const planted = (count: number): ExpectedExceptions => ({ count, source: 'planted' });
  const benford = (digitCount: 1 | 2): ExpectedExceptions => {
    const digits = benfordFlaggedDigits(payments.amountsCents, digitCount, {
      minAmountCents: BENFORD_MIN_AMOUNT_CENTS,
      zCritical: BENFORD_Z_CRITICAL,
    });
    return { count: digits.length, source: 'computed', digits };
  };

  return {
    seed,
    files,
    expected: {
      'duplicate-payments-exact': planted(payments.planted.exactDuplicates),
      'duplicate-payments-likely': planted(payments.planted.likelyDuplicates),
      'split-purchases': planted(cards.plantedSplits),
      'weekend-holiday-postings': planted(journal.plantedPostings),
      'round-amounts': planted(payments.planted.roundAmounts),
      'just-below-limit': planted(payments.planted.justBelowLimit),
      'benford-first-digit': benford(1),
      'benford-first-two': benford(2),
      'sequence-gaps-duplicates': planted(payments.planted.sequenceIssues),
      'three-way-match': planted(purchasing.plantedIssues),
      'vendor-employee-match': planted(people.planted.vendorEmployeeMatches),
      'terminated-users-with-access': planted(people.planted.terminatedUsersWithAccess),
      'sod-conflicts': planted(people.planted.sodConflicts),
    },
  };
}

const README_TEXT = `SYNTHETIC DEMO DATA - NOT REAL

These files were generated by "peytonix demo seed" from a fixed seed.
Every person, company, address, bank account and amount in them is
invented. Known anomalies were planted in them for each library test.
`;

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Write the synthetic files and a README that labels them into
 * `directory`, leaving files that already have the same bytes untouched.
 * Returns the data and the names of the files it wrote.
 */
export async function writeSyntheticData(
  directory: string,
  seed: number = DEMO_SEED,
): Promise<{ data: SyntheticData; written: string[] }> {
  const data = generateSyntheticData(seed);
  await mkdir(directory, { recursive: true });
  const written: string[] = [];
  const outputs = [
    ...data.files.map((file) => [file.fileName, file.content] as const),
    ['README-SYNTHETIC.txt', README_TEXT] as const,
  ];
  for (const [fileName, content] of outputs) {
    const target = path.join(directory, fileName);
    const existing = await readIfExists(target);
    if (existing === content) continue;
    await writeFile(target, content);
    written.push(fileName);
  }
  return { data, written };
}
