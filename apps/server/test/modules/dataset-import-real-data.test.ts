import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ImportResult,
  importDataset,
} from '../../src/modules/datasets/import/import-dataset.ts';
import { realDataFile } from '../support/real-data.ts';

// The public extracts stay beside the repository: their licences allow them as test
// input but not redistribution inside the product.
const nigriniPayments = realDataFile('nigrini/corporate.payment.csv');
const bradfordJanuary = realDataFile('bradford-2019/2019-01_clean.csv');
const bradfordDir = bradfordJanuary === null ? '' : path.dirname(bradfordJanuary);
const bradfordMonths = Array.from(
  { length: 12 },
  (_, index) => `2019-${String(index + 1).padStart(2, '0')}_clean.csv`,
);

let workRoot: string;

beforeAll(async () => {
  workRoot = await mkdtemp(path.join(os.tmpdir(), 'peytonix-import-real-'));
});

afterAll(async () => {
  await rm(workRoot, { recursive: true, force: true });
});

async function importReal(sourcePath: string, fileName: string): Promise<ImportResult> {
  const workDir = await mkdtemp(path.join(workRoot, 'work-'));
  return await importDataset({
    sourcePath,
    fileName,
    workDir,
    limits: { memoryMb: 512, threads: 2 },
  });
}

async function queryParquet(parquetPath: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create();
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      sql.replaceAll('{file}', `read_parquet('${parquetPath}', file_row_number = true)`),
    );
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function typesOf(result: ImportResult): Record<string, string> {
  return Object.fromEntries(result.columns.map((column) => [column.name, column.type]));
}

/** Split one CSV line with RFC 4180 quotes. These files have no line breaks inside fields. */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const character = line[index];
    if (quoted) {
      if (character === '"' && line[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ',') {
      fields.push(field);
      field = '';
    } else field += character;
  }
  fields.push(field);
  return fields;
}

/** Parse an amount in pence from `1,234.56`, `-7.5` or `(264,795.53)` without the engine. */
function pence(text: string): bigint {
  const negative = text.startsWith('(') || text.startsWith('-');
  const digits = text.replace(/[^0-9.]/g, '');
  const [whole = '0', fraction = ''] = digits.split('.');
  const value = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0').slice(0, 2));
  return negative ? -value : value;
}

describe.skipIf(nigriniPayments === null)('Nigrini corporate payments', () => {
  it('imports every payment', async () => {
    const paymentsPath = nigriniPayments ?? '';
    const result = await importReal(paymentsPath, 'corporate.payment.csv');

    expect(result.rowCount).toBe(189_470);
    expect(typesOf(result)).toEqual({
      VendorNum: 'BIGINT',
      Date: 'DATE',
      InvNum: 'VARCHAR',
      Amount: 'DECIMAL(18,2)',
    });

    const lines = (await readFile(paymentsPath, 'utf8')).trimEnd().split('\n').slice(1);
    const expectedPence = lines.reduce((sum, line) => sum + pence(line.split(',')[3] ?? '0'), 0n);
    const [summary] = await queryParquet(
      result.parquetPath,
      `SELECT CAST(sum(Amount) * 100 AS HUGEINT) AS pence, count_if(Amount >= 10) AS at_least_ten, count_if(Amount < 0) AS negative, count_if(Amount = 0) AS zero FROM {file}`,
    );
    // The published first-digit test over these payments uses n = 177,763 amounts >= 10.
    expect(summary).toMatchObject({ pence: String(expectedPence), at_least_ten: '177763' });
    expect(Number(summary?.negative)).toBeGreaterThan(0);
    expect(Number(summary?.zero)).toBeGreaterThan(0);

    const ends = await queryParquet(
      result.parquetPath,
      `SELECT VendorNum, Date, InvNum, Amount FROM {file} WHERE file_row_number IN (0, ${lines.length - 1}) ORDER BY file_row_number`,
    );
    const firstFields = lines[0]?.split(',') ?? [];
    const lastFields = lines.at(-1)?.split(',') ?? [];
    expect(ends.map((row) => [row.VendorNum, row.Date, row.InvNum])).toEqual([
      firstFields.slice(0, 3),
      lastFields.slice(0, 3),
    ]);
  });
});

describe.skipIf(bradfordJanuary === null)('Bradford council payments', () => {
  it('imports a month with accounting negatives', async () => {
    const sourcePath = path.join(bradfordDir, '2019-11_clean.csv');
    const result = await importReal(sourcePath, '2019-11_clean.csv');

    expect(result.rowCount).toBe(9_656);
    expect(result.appliedOptions.encoding).toBe('latin-1');
    expect(typesOf(result)).toMatchObject({
      'Service Label': 'VARCHAR',
      'Expenditure code': 'BIGINT',
      'Payment date': 'DATE',
      'Transaction Number': 'BIGINT',
      'Net Amount': 'DECIMAL(18,2)',
      'Supplier Name': 'VARCHAR',
    });

    const text = new TextDecoder('windows-1252').decode(await readFile(sourcePath));
    const amounts = text
      .trimEnd()
      .split(/\r?\n/)
      .slice(1)
      .map((line) => splitCsvLine(line)[6] ?? '0');
    const expectedPence = amounts.reduce((sum, amount) => sum + pence(amount), 0n);
    const expectedNegative = amounts.filter((amount) => pence(amount) < 0n).length;
    expect(amounts.filter((amount) => amount.startsWith('(')).length).toBeGreaterThan(0);

    const [summary] = await queryParquet(
      result.parquetPath,
      `SELECT CAST(sum("Net Amount") * 100 AS HUGEINT) AS pence, count_if("Net Amount" < 0) AS negative, min("Net Amount") AS lowest, count_if("Expenditure category" = 'Children\u2019s Services') AS childrens FROM {file}`,
    );
    expect(summary?.pence).toBe(String(expectedPence));
    expect(Number(summary?.negative)).toBe(expectedNegative);
    expect(summary?.lowest).toBe('-264795.53');
    expect(Number(summary?.childrens)).toBeGreaterThan(0);
  });

  it('removes the repeated header of joined months', async () => {
    const joined = path.join(workRoot, 'bradford-2019-10-11.csv');
    const october = await readFile(path.join(bradfordDir, '2019-10_clean.csv'));
    const november = await readFile(path.join(bradfordDir, '2019-11_clean.csv'));
    await writeFile(joined, Buffer.concat([october, november]));

    const result = await importReal(joined, 'bradford-2019-10-11.csv');

    expect(result.rowCount).toBe(13_447 + 9_656);
    expect(result.warnings.filter((warning) => warning.includes('repeat'))).toHaveLength(1);
    expect(result.warnings.join('\n')).toContain('line 13449');
    expect(typesOf(result)['Net Amount']).toBe('DECIMAL(18,2)');
  });

  it('imports every month', async () => {
    let rows = 0;
    for (const month of bradfordMonths) {
      const result = await importReal(path.join(bradfordDir, month), month);
      rows += result.rowCount;
      expect(typesOf(result)['Net Amount'], month).toBe('DECIMAL(18,2)');
      expect(typesOf(result)['Payment date'], month).toBe('DATE');
    }
    expect(rows).toBe(121_109);
  });
});
