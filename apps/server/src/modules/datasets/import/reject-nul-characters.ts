import type { ImportDatabase } from './duckdb-sandbox.ts';
import { toOptionalNumber } from './duckdb-sandbox.ts';
import { ImportError } from './import-error.ts';
import { quoteIdentifier } from './sql.ts';
import type { StagedTable } from './staged-table.ts';

/** Columns checked by one statement, so a wide file does not build one huge query. */
const COLUMNS_PER_CHECK = 64;

/**
 * Reject a value that contains a NUL character (U+0000). CSV and TSV files
 * with a NUL byte never get here, but JSON Lines (`"\u0000"`), Parquet and
 * XLSX can carry one, and PostgreSQL cannot store it in the text and JSON
 * that runs record, so such a file would import and then fail every run.
 */
export async function rejectNulCharacters(
  db: ImportDatabase,
  staged: StagedTable,
  fileName: string,
): Promise<void> {
  for (let first = 0; first < staged.columns.length; first += COLUMNS_PER_CHECK) {
    const chunk = staged.columns.slice(first, first + COLUMNS_PER_CHECK);
    const checks = chunk.map(
      (column, index) =>
        `min(rid) FILTER (WHERE strpos(CAST(${quoteIdentifier(column.id)} AS VARCHAR), chr(0)) > 0) AS n${index}`,
    );
    const [row] = await db.all(`SELECT ${checks.join(', ')} FROM ${staged.rowsSql}`);

    for (const [index, column] of chunk.entries()) {
      const rowId = toOptionalNumber(row?.[`n${index}`]);
      if (rowId === undefined) continue;

      const position = (await staged.locate([rowId])).get(rowId);
      const where =
        position === undefined ? fileName : `${fileName}, ${staged.positionLabel} ${position}`;
      throw new ImportError(
        {
          code: 'INVALID_VALUE',
          fileName,
          column: column.name,
          ...(position === undefined ? {} : { line: position }),
        },
        `${where}, column "${column.name}": the value contains a NUL character (U+0000), which cannot be stored. Remove it from the source and upload the file again.`,
      );
    }
  }
}
