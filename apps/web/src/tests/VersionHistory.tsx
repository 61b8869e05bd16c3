import {
  Anchor,
  Badge,
  Box,
  Code,
  Group,
  NativeSelect,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { formatDateTime } from '../shared/format.ts';
import type { RecordedVersion } from './tests-api.ts';
import { type DiffLine, diffLines, diffRecordedFields } from './version-diff.ts';

const LINE_MARKS: Record<DiffLine['kind'], string> = { same: ' ', removed: '-', added: '+' };
const LINE_LABELS: Record<DiffLine['kind'], string> = {
  same: 'unchanged',
  removed: 'removed',
  added: 'added',
};
const LINE_BACKGROUNDS: Record<DiffLine['kind'], string | undefined> = {
  same: undefined,
  removed: 'var(--mantine-color-red-light)',
  added: 'var(--mantine-color-green-light)',
};

/** Renders a line diff with "-" and "+" marks, so the change does not rely on color alone. */
function SqlDiff({ lines }: { lines: readonly DiffLine[] }) {
  return (
    <Box
      component="pre"
      data-testid="sql-diff"
      aria-label="Line diff of the SQL"
      style={{ overflowX: 'auto', fontSize: '0.875rem', margin: 0 }}
    >
      {lines.map((line, index) => (
        <span
          // Lines have no identity of their own. The diff is rebuilt whole when either side changes.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          key={index}
          style={{ display: 'block', background: LINE_BACKGROUNDS[line.kind] }}
          data-kind={line.kind}
          title={LINE_LABELS[line.kind]}
        >
          {LINE_MARKS[line.kind]} {line.text}
        </span>
      ))}
    </Box>
  );
}

function VersionSelect({
  label,
  versions,
  value,
  onChange,
}: {
  label: string;
  versions: readonly RecordedVersion[];
  value: number;
  onChange: (version: number) => void;
}) {
  return (
    <NativeSelect
      label={label}
      value={String(value)}
      onChange={(event) => onChange(Number(event.currentTarget.value))}
      data={versions.map((entry) => ({
        value: String(entry.version),
        label: `Version ${entry.version}`,
      }))}
    />
  );
}

function VersionDiff({ versions }: { versions: readonly RecordedVersion[] }) {
  const [older, setOlder] = useState(versions[1]?.version ?? 0);
  const [newer, setNewer] = useState(versions[0]?.version ?? 0);
  const before = versions.find((entry) => entry.version === older);
  const after = versions.find((entry) => entry.version === newer);
  if (before === undefined || after === undefined) return null;

  const lines = diffLines(before.run.sql, after.run.sql);
  const sqlChanged = lines.some((line) => line.kind !== 'same');
  const fieldChanges = diffRecordedFields(before.run, after.run);
  return (
    <Stack gap="sm" data-testid="version-diff">
      <Title order={3}>Compare two versions</Title>
      <Group align="flex-end">
        <VersionSelect label="From" versions={versions} value={older} onChange={setOlder} />
        <VersionSelect label="To" versions={versions} value={newer} onChange={setNewer} />
      </Group>
      <Text size="sm">{sqlChanged ? 'The SQL changed:' : 'The SQL is the same.'}</Text>
      {sqlChanged && <SqlDiff lines={lines} />}
      {fieldChanges.length === 0 ? (
        <Text size="sm">
          Key columns, summary SQL, input fields and parameter values are the same.
        </Text>
      ) : (
        <Table aria-label="Other fields that changed" withTableBorder>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Field</Table.Th>
              <Table.Th>Version {before.version}</Table.Th>
              <Table.Th>Version {after.version}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {fieldChanges.map((change) => (
              <Table.Tr key={change.field} data-testid="field-change">
                <Table.Td>{change.field}</Table.Td>
                <Table.Td>
                  <Code>{change.before}</Code>
                </Table.Td>
                <Table.Td>
                  <Code>{change.after}</Code>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

/** Lists the versions that real runs recorded, newest first, and compares two of them. */
export function VersionHistory({
  versions,
  activeVersion,
  truncated,
}: {
  versions: readonly RecordedVersion[];
  activeVersion: number | null;
  truncated: boolean;
}) {
  return (
    <Stack gap="sm">
      <Text size="sm" maw={720}>
        The versions that real runs recorded, with the newest run of each.
        {truncated && ' Only the newest runs were read, so older versions may be missing.'}
      </Text>
      <Table.ScrollContainer minWidth={560}>
        <Table striped aria-label="Versions recorded by runs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Version</Table.Th>
              <Table.Th>Newest run</Table.Th>
              <Table.Th>Requested</Table.Th>
              <Table.Th>Key columns</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {versions.map((entry) => (
              <Table.Tr key={entry.version} data-testid="version-row">
                <Table.Td>
                  {entry.version}{' '}
                  {entry.version === activeVersion && (
                    <Badge variant="light" size="sm">
                      Active
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={`/runs/${entry.run.runId}`}>
                    {entry.run.runNumber === null ? 'Run' : `Run ${entry.run.runNumber}`}
                  </Anchor>
                </Table.Td>
                <Table.Td>{formatDateTime(entry.run.requestedAt)}</Table.Td>
                <Table.Td>{entry.run.keyColumns.join(', ')}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {versions.length >= 2 && <VersionDiff versions={versions} />}
    </Stack>
  );
}
