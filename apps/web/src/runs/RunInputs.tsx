import { Stack, Table, Text } from '@mantine/core';
import { z } from 'zod';
import { Fingerprint } from '../datasets/Fingerprint.tsx';
import type { RunDetail } from './runs-api.ts';

const rowCountsSchema = z.record(z.string(), z.number());

/** The parameter values that the run bound, each with its type. */
export function RunParameters({ parameters }: { parameters: RunDetail['parameters'] }) {
  if (parameters.length === 0) return <Text size="sm">The test has no parameters.</Text>;
  return (
    <Table withTableBorder aria-label="Parameters">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Parameter</Table.Th>
          <Table.Th>Type</Table.Th>
          <Table.Th>Value</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {parameters.map((parameter) => (
          <Table.Tr key={parameter.name}>
            <Table.Td>
              <code>{parameter.name}</code>
            </Table.Td>
            <Table.Td>{parameter.type}</Table.Td>
            <Table.Td>
              <code>{String(parameter.value)}</code>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function FieldMap({ fields }: { fields: Record<string, string | null> }) {
  const entries = Object.entries(fields);
  return (
    <Stack gap={2}>
      {entries.map(([field, column]) => (
        <Text size="sm" key={field}>
          <code>{field}</code> ←{' '}
          {column === null ? <em>no column (reads as empty)</em> : <code>{column}</code>}
        </Text>
      ))}
    </Stack>
  );
}

/**
 * Each input with the dataset version the run read, its fingerprints, the
 * rows it had, and which column fed each field of the test.
 */
export function RunInputs({ run }: { run: RunDetail }) {
  const rowCounts = rowCountsSchema.safeParse(run.inputRowCounts);
  if (run.inputs.length === 0) return <Text size="sm">The test reads no inputs.</Text>;
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table withTableBorder striped aria-label="Inputs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Input</Table.Th>
            <Table.Th>Dataset version</Table.Th>
            <Table.Th>Fingerprints (SHA-256)</Table.Th>
            <Table.Th>Rows</Table.Th>
            <Table.Th>Field ← column</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {run.inputs.map((input) => {
            const read = rowCounts.success ? rowCounts.data[input.name] : undefined;
            return (
              <Table.Tr key={input.name} data-testid="run-input">
                <Table.Td>
                  <code>{input.name}</code>
                </Table.Td>
                <Table.Td>
                  {input.datasetName}, version {input.version}
                </Table.Td>
                <Table.Td>
                  <Text size="xs" c="dimmed">
                    Raw file
                  </Text>
                  <Fingerprint value={input.rawSha256} label={`raw file of ${input.name}`} />
                  <Text size="xs" c="dimmed" mt={4}>
                    Normalized Parquet file
                  </Text>
                  <Fingerprint
                    value={input.parquetSha256}
                    label={`normalized Parquet file of ${input.name}`}
                  />
                </Table.Td>
                <Table.Td>
                  {input.rowCount.toLocaleString()}
                  {read !== undefined && read !== input.rowCount && (
                    <Text size="xs">{read.toLocaleString()} read</Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <FieldMap fields={input.fields} />
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
