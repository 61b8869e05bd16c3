import { Alert, Autocomplete, List, Stack, Table, Text, Title } from '@mantine/core';
import { markHiddenCharacters } from '../shared/invisible-characters.ts';
import { UntrustedText } from '../shared/UntrustedText.tsx';
import type { DatasetPreview } from './datasets-api.ts';

/** Types offered for a column; any other DuckDB type name may be typed in. */
const COLUMN_TYPE_SUGGESTIONS = [
  'VARCHAR',
  'BIGINT',
  'DECIMAL(18,2)',
  'DECIMAL(38,4)',
  'DOUBLE',
  'DATE',
  'TIMESTAMP',
  'BOOLEAN',
];

/**
 * Show the columns of a preview with their inferred types, and an input
 * per column that forces its type on the next preview and on the import.
 */
export function PreviewColumns({
  preview,
  columnTypes,
  onColumnTypesChange,
  disabled,
}: {
  preview: DatasetPreview;
  columnTypes: Record<string, string>;
  onColumnTypesChange: (columnTypes: Record<string, string>) => void;
  disabled: boolean;
}) {
  return (
    <Stack gap="xs">
      <Title order={3} size="h4" id="preview-columns-heading">
        Columns and inferred types
      </Title>
      <Text size="sm" c="dimmed">
        Leave a type empty to keep the inferred one. A forced type rejects the values that do not
        fit it, and a DECIMAL scale that would round an amount.
      </Text>
      <Table.ScrollContainer minWidth={560}>
        <Table striped withTableBorder aria-labelledby="preview-columns-heading">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Column</Table.Th>
              <Table.Th>Type</Table.Th>
              <Table.Th>Empty values</Table.Th>
              <Table.Th>Force a type</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {preview.columns.map((column) => (
              <Table.Tr key={column.name} data-testid="preview-column" data-column={column.name}>
                <Table.Td>
                  <code>
                    <UntrustedText text={column.name} />
                  </code>
                  {column.sourceName !== column.name && (
                    <Text size="xs" c="dimmed">
                      In the file: <UntrustedText text={column.sourceName} />
                    </Text>
                  )}
                </Table.Td>
                <Table.Td data-testid="preview-column-type">
                  <code>{column.type}</code>
                </Table.Td>
                <Table.Td>{column.nullable ? 'some' : 'none'}</Table.Td>
                <Table.Td>
                  <Autocomplete
                    aria-label={`Type of ${markHiddenCharacters(column.name)}`}
                    placeholder="Inferred"
                    data={COLUMN_TYPE_SUGGESTIONS}
                    maxLength={64}
                    size="xs"
                    value={columnTypes[column.name] ?? ''}
                    disabled={disabled}
                    onChange={(value) =>
                      onColumnTypesChange({ ...columnTypes, [column.name]: value })
                    }
                  />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

/** Show the first rows of a preview as the import reads them, with each column's type in its header. */
export function PreviewRows({ preview }: { preview: DatasetPreview }) {
  return (
    <Stack gap="xs">
      <Title order={3} size="h4" id="preview-rows-heading">
        First {preview.rows.length} of {preview.rowCount.toLocaleString()} rows
      </Title>
      <Table.ScrollContainer minWidth={Math.max(480, preview.columns.length * 140)}>
        <Table
          striped
          withTableBorder
          aria-labelledby="preview-rows-heading"
          data-testid="preview-rows"
        >
          <Table.Thead>
            <Table.Tr>
              {preview.columns.map((column) => (
                <Table.Th key={column.name}>
                  <UntrustedText text={column.name} />
                  <Text size="xs" c="dimmed" fw={400}>
                    {column.type}
                  </Text>
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {preview.rows.map((row, rowIndex) => (
              // Rows have no identity of their own, and a preview replaces them all at once.
              // biome-ignore lint/suspicious/noArrayIndexKey: see above
              <Table.Tr key={rowIndex} data-testid="preview-row">
                {preview.columns.map((column, columnIndex) => {
                  const value = row[columnIndex] ?? null;
                  return (
                    <Table.Td key={column.name}>
                      {value === null ? (
                        <Text span size="sm" c="dimmed" fs="italic">
                          empty
                        </Text>
                      ) : (
                        <UntrustedText text={value} />
                      )}
                    </Table.Td>
                  );
                })}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

/** List what the parse changed or assumed without failing. */
export function PreviewWarnings({ warnings }: { warnings: readonly string[] }) {
  return (
    <Stack gap="xs">
      <Title order={3} size="h4" id="preview-warnings-heading">
        Warnings
      </Title>
      {warnings.length === 0 ? (
        <Text size="sm">None.</Text>
      ) : (
        <Alert
          color="yellow"
          aria-labelledby="preview-warnings-heading"
          data-testid="preview-warnings"
        >
          <List size="sm">
            {warnings.map((warning) => (
              <List.Item key={warning}>{warning}</List.Item>
            ))}
          </List>
        </Alert>
      )}
    </Stack>
  );
}
