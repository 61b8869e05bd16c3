import { Alert, Badge, List, Stack, Table, Text, Title } from '@mantine/core';
import { formatBytes, formatDateTime } from '../shared/format.ts';
import { UntrustedText } from '../shared/UntrustedText.tsx';
import type { DatasetVersion } from './datasets-api.ts';
import { Fingerprint } from './Fingerprint.tsx';

function formatOption(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * One imported version: its file, fingerprints, columns with their
 * inferred types, the parse options that produced it, and import warnings.
 */
export function DatasetVersionPanel({ version }: { version: DatasetVersion }) {
  const headingId = `version-${version.version}`;
  const options = Object.entries(version.parseOptions);
  return (
    <Stack gap="md" data-testid="dataset-version" data-version={version.version}>
      <Table variant="vertical" withTableBorder aria-label={`Version ${version.version}`}>
        <Table.Tbody>
          <Table.Tr>
            <Table.Th w={220}>Source file</Table.Th>
            <Table.Td>
              <UntrustedText text={version.sourceFileName} />{' '}
              <Badge variant="outline" color="dark">
                {version.sourceFormat}
              </Badge>
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Rows</Table.Th>
            <Table.Td data-testid="row-count">{version.rowCount.toLocaleString()}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>Imported</Table.Th>
            <Table.Td>{formatDateTime(version.createdAt)}</Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>SHA-256 of the raw file</Table.Th>
            <Table.Td data-testid="raw-sha256">
              <Fingerprint value={version.sha256} label="raw file" />
              <Text size="xs" c="dimmed">
                {formatBytes(version.rawSize)}
              </Text>
            </Table.Td>
          </Table.Tr>
          <Table.Tr>
            <Table.Th>SHA-256 of the normalized Parquet file</Table.Th>
            <Table.Td data-testid="parquet-sha256">
              <Fingerprint value={version.parquetSha256} label="normalized Parquet file" />
              <Text size="xs" c="dimmed">
                {formatBytes(version.parquetSize)}
              </Text>
            </Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>

      <Stack gap="xs">
        <Title order={3} size="h4" id={`${headingId}-columns`}>
          Columns and inferred types
        </Title>
        <Table.ScrollContainer minWidth={480}>
          <Table striped withTableBorder aria-labelledby={`${headingId}-columns`}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Column</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Empty values</Table.Th>
                <Table.Th>Name in the file</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {version.columns.map((column) => (
                <Table.Tr key={column.name} data-testid="dataset-column">
                  <Table.Td>
                    <code>{column.name}</code>
                  </Table.Td>
                  <Table.Td>
                    <code>{column.type}</code>
                  </Table.Td>
                  <Table.Td>{column.nullable ? 'allowed' : 'none'}</Table.Td>
                  <Table.Td>{column.sourceName}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Stack>

      <Stack gap="xs">
        <Title order={3} size="h4" id={`${headingId}-warnings`}>
          Import warnings
        </Title>
        {version.warnings.length === 0 ? (
          <Text size="sm">None.</Text>
        ) : (
          <Alert color="yellow" aria-labelledby={`${headingId}-warnings`}>
            <List size="sm">
              {version.warnings.map((warning) => (
                <List.Item key={warning}>{warning}</List.Item>
              ))}
            </List>
          </Alert>
        )}
      </Stack>

      <Stack gap="xs">
        <Title order={3} size="h4" id={`${headingId}-options`}>
          Parse options
        </Title>
        <Text size="sm" c="dimmed">
          The options the import applied, so importing the same file with them gives the same
          Parquet file.
        </Text>
        {options.length === 0 ? (
          <Text size="sm">None.</Text>
        ) : (
          <Table withTableBorder aria-labelledby={`${headingId}-options`}>
            <Table.Tbody>
              {options.map(([name, value]) => (
                <Table.Tr key={name}>
                  <Table.Th w={220}>{name}</Table.Th>
                  <Table.Td>
                    <code style={{ wordBreak: 'break-all' }}>{formatOption(value)}</code>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Stack>
  );
}
