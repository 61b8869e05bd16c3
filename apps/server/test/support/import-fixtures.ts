import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import ExcelJS from 'exceljs';

export interface SampleFile {
  fileName: string;
  filePath: string;
}

/** Write one small file of each import format (CSV, JSON Lines, Parquet, XLSX) into `directory`. */
export async function writeSampleImports(directory: string): Promise<SampleFile[]> {
  const csv = path.join(directory, 'payments.csv');
  await writeFile(
    csv,
    'vendor,invoice,amount,paid_on\nV1,INV-1,"£1,234.56",03/04/2024\nV2,INV-2,(264.00),28/04/2024\n',
  );

  const jsonl = path.join(directory, 'vendors.jsonl');
  await writeFile(
    jsonl,
    '{"id": 1, "name": "Acme", "limit": "10.50", "tags": ["a", {"b": [1]}]}\n{"id": 2, "name": "Globex", "limit": "7.25", "tags": []}\n',
  );

  const parquet = path.join(directory, 'ledger.parquet');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run(
      `COPY (SELECT * FROM (VALUES
         (1::INTEGER, 'Acme', 10.5::DECIMAL(18,2), DATE '2024-01-05'),
         (2::INTEGER, 'Globex', 7.25::DECIMAL(18,2), DATE '2024-02-29')
       ) v(id, vendor, amount, posted)) TO '${parquet}' (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }

  const xlsx = path.join(directory, 'journal.xlsx');
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Journal');
  sheet.addRow(['entry', 'posted', 'amount', 'memo']);
  sheet.addRow([1, new Date(Date.UTC(2024, 0, 5)), 1234.5, 'opening balance']);
  sheet.addRow([2, new Date(Date.UTC(2024, 1, 29)), -20, 'fee']);
  await book.xlsx.writeFile(xlsx);

  return [csv, jsonl, parquet, xlsx].map((filePath) => ({
    fileName: path.basename(filePath),
    filePath,
  }));
}

/** Write a JSON Lines file whose second line is `depth` nested arrays inside an object. */
export async function writeDeeplyNestedJsonLines(filePath: string, depth: number): Promise<void> {
  const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
  await writeFile(filePath, `{"id": 1, "payload": []}\n{"id": 2, "payload": ${nested}}\n`);
}

/**
 * Write an XLSX workbook with one column of `rows` distinct strings of about
 * 2,000 characters, all in the shared-string table that exceljs keeps in
 * memory. With 50,000 rows the import child peaked at 861 MiB (Node.js 24.21,
 * Linux x64), although the file is about 1 MB.
 */
export async function writeSharedStringsWorkbook(filePath: string, rows: number): Promise<void> {
  const writer = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: filePath,
    useSharedStrings: true,
  });
  const sheet = writer.addWorksheet('Memos');
  sheet.addRow(['memo']).commit();
  const padding = 'x'.repeat(2_000);
  for (let row = 0; row < rows; row += 1) sheet.addRow([`memo ${row} ${padding}`]).commit();
  await sheet.commit();
  await writer.commit();
}

/** Create a named pipe: reading it blocks until a writer opens it, so an import waits forever. */
export function createFifo(filePath: string): void {
  execFileSync('mkfifo', [filePath]);
}
