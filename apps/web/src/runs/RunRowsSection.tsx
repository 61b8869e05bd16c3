import { Badge, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { ListPagination, usePageOf } from '../shared/pagination.tsx';
import { UntrustedText } from '../shared/UntrustedText.tsx';
import { type RunRows, useRunRows } from './runs-api.ts';

const PAGE_SIZE = 25;

type Row = RunRows['rows'][number];

const OCCURRENCE_COLORS = { new: 'blue', recurring: 'gray', reopened: 'orange' } as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Column names of the rows' payloads, in the order they first appear. */
function payloadColumns(rows: readonly Row[]): string[] {
  const columns = new Set<string>();
  for (const row of rows) {
    if (isRecord(row.payload)) for (const name of Object.keys(row.payload)) columns.add(name);
  }
  return [...columns];
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function RowsTable({ rows, preview }: { rows: readonly Row[]; preview: boolean }) {
  const pageOf = usePageOf(rows, PAGE_SIZE);
  const columns = payloadColumns(rows);
  return (
    <>
      <Table.ScrollContainer minWidth={Math.max(480, columns.length * 140)}>
        <Table striped withTableBorder aria-labelledby="run-rows-heading">
          <Table.Thead>
            <Table.Tr>
              {!preview && <Table.Th>Occurrence</Table.Th>}
              {columns.map((column) => (
                <Table.Th key={column}>
                  <UntrustedText text={column} />
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {pageOf.items.map((row, index) => (
              <Table.Tr key={row.exceptionId ?? `${pageOf.page}-${index}`} data-testid="run-row">
                {!preview && (
                  <Table.Td>
                    {row.occurrence !== null && (
                      <Badge variant="dot" color={OCCURRENCE_COLORS[row.occurrence]}>
                        {row.occurrence}
                      </Badge>
                    )}
                  </Table.Td>
                )}
                {columns.map((column) => (
                  <Table.Td key={column}>
                    <UntrustedText
                      text={formatCell(isRecord(row.payload) ? row.payload[column] : undefined)}
                    />
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <ListPagination pageOf={pageOf} noun="rows" label="Pages of flagged rows" />
    </>
  );
}

/** Lists the rows a succeeded run flagged: its exceptions, or a preview's rows, which stay apart. */
export function RunRowsSection({ runId, preview }: { runId: string; preview: boolean }) {
  const rows = useRunRows(runId, true);
  return (
    <Stack component="section" aria-labelledby="run-rows-heading">
      <Title order={2} id="run-rows-heading">
        {preview ? 'Result rows' : 'Flagged rows'}
      </Title>
      {preview && (
        <Text size="sm">
          This run was kept apart like a preview, so its rows did not become exceptions.
        </Text>
      )}
      {rows.isPending && <Loader aria-label="Loading the flagged rows" />}
      {rows.isError && <ErrorAlert error={rows.error} title="The rows could not be loaded" />}
      {rows.isSuccess &&
        (rows.data.rows.length === 0 ? (
          <Text size="sm">The run flagged no rows.</Text>
        ) : (
          <RowsTable rows={rows.data.rows} preview={rows.data.preview} />
        ))}
    </Stack>
  );
}
