import {
  Anchor,
  Badge,
  Box,
  Code,
  Group,
  Loader,
  NativeSelect,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import { formatDateTime } from '../shared/format.ts';
import { ListPagination, usePageOf } from '../shared/pagination.tsx';
import { type TestVersionSummary, testPath, useTestDefinition } from './tests-api.ts';
import { type DiffLine, diffDefinitionFields, diffLines } from './version-diff.ts';

const VERSIONS_PAGE_SIZE = 10;

/** Every state a test version can be in, in the order a version moves through them. */
const VERSION_STATES = ['draft', 'submitted', 'approved', 'rejected', 'active', 'superseded'];

const STATE_COLORS: Record<string, string> = {
  draft: 'gray',
  submitted: 'blue',
  approved: 'teal',
  rejected: 'red',
  active: 'green',
  superseded: 'gray',
};

export function VersionStateBadge({ state }: { state: string }) {
  return (
    // The dot variant keeps the label in the body text color, which meets WCAG AA contrast.
    <Badge color={STATE_COLORS[state] ?? 'gray'} variant="dot" miw="max-content">
      {state}
    </Badge>
  );
}

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
  versions: readonly TestVersionSummary[];
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
        label: `Version ${entry.version} (${entry.state})`,
      }))}
    />
  );
}

/** Renders the line diff of the SQL and a table of the other fields that differ. */
function DefinitionDiff({
  testKey,
  entityCode,
  before,
  after,
}: {
  testKey: string;
  entityCode: string;
  before: number;
  after: number;
}) {
  const older = useTestDefinition(testKey, entityCode, before);
  const newer = useTestDefinition(testKey, entityCode, after);
  const error = older.error ?? newer.error;
  if (error !== null) return <ErrorAlert error={error} title="A version could not be loaded" />;
  if (older.data === undefined || newer.data === undefined) {
    return <Loader aria-label="Loading the versions to compare" />;
  }

  const lines = diffLines(older.data.sql, newer.data.sql);
  const sqlChanged = lines.some((line) => line.kind !== 'same');
  const fieldChanges = diffDefinitionFields(older.data, newer.data);
  return (
    <>
      <Text size="sm">{sqlChanged ? 'The SQL changed:' : 'The SQL is the same.'}</Text>
      {sqlChanged && <SqlDiff lines={lines} />}
      {fieldChanges.length === 0 ? (
        <Text size="sm">Every other field of the definition is the same.</Text>
      ) : (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label="Other fields that changed" withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Field</Table.Th>
                <Table.Th>Version {before}</Table.Th>
                <Table.Th>Version {after}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {fieldChanges.map((change) => (
                <Table.Tr key={change.field} data-testid="field-change">
                  <Table.Td>{change.field}</Table.Td>
                  <Table.Td>
                    <Code style={{ whiteSpace: 'pre-wrap' }}>{change.before}</Code>
                  </Table.Td>
                  <Table.Td>
                    <Code style={{ whiteSpace: 'pre-wrap' }}>{change.after}</Code>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </>
  );
}

/**
 * Return the versions a comparison starts with: the shown version against
 * the active one, or against the version before it when the shown version
 * is the active one.
 */
function initialComparison(
  versions: readonly TestVersionSummary[],
  shownVersion: number,
  activeVersion: number | null,
): { before: number; after: number } {
  if (activeVersion !== null && activeVersion !== shownVersion) {
    return { before: activeVersion, after: shownVersion };
  }
  const previous = versions.find((entry) => entry.version < shownVersion);
  return { before: previous?.version ?? shownVersion, after: shownVersion };
}

function VersionComparison({
  testKey,
  entityCode,
  versions,
  shownVersion,
  activeVersion,
}: {
  testKey: string;
  entityCode: string;
  versions: readonly TestVersionSummary[];
  shownVersion: number;
  activeVersion: number | null;
}) {
  const initial = initialComparison(versions, shownVersion, activeVersion);
  const [before, setBefore] = useState(initial.before);
  const [after, setAfter] = useState(initial.after);
  return (
    <Stack gap="sm" data-testid="version-diff">
      <Title order={3}>Compare two versions</Title>
      <Group align="flex-end">
        <VersionSelect label="From" versions={versions} value={before} onChange={setBefore} />
        <VersionSelect label="To" versions={versions} value={after} onChange={setAfter} />
      </Group>
      <DefinitionDiff testKey={testKey} entityCode={entityCode} before={before} after={after} />
    </Stack>
  );
}

/** Lists a test's versions, newest first, with a state filter, and compares two of them. */
export function VersionHistory({
  testKey,
  entityCode,
  versions,
  shownVersion,
  activeVersion,
}: {
  testKey: string;
  entityCode: string;
  versions: readonly TestVersionSummary[];
  shownVersion: number;
  activeVersion: number | null;
}) {
  const [state, setState] = useState('');
  const filtered = state === '' ? versions : versions.filter((entry) => entry.state === state);
  const pageOf = usePageOf(filtered, VERSIONS_PAGE_SIZE);
  return (
    <Stack gap="sm">
      <NativeSelect
        label="State"
        value={state}
        onChange={(event) => setState(event.currentTarget.value)}
        data={[
          { value: '', label: 'Every state' },
          ...VERSION_STATES.map((value) => ({ value, label: value })),
        ]}
        maw={240}
      />
      <Table.ScrollContainer minWidth={720}>
        <Table striped aria-label="Versions of this test">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Version</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th>Created by</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Decided</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {pageOf.items.map((entry) => (
              <Table.Tr
                key={entry.version}
                data-testid="version-row"
                aria-current={entry.version === shownVersion ? 'true' : undefined}
              >
                <Table.Td>
                  {entry.version === shownVersion ? (
                    <Text span fw={700}>
                      {entry.version} (shown)
                    </Text>
                  ) : (
                    <Anchor component={Link} to={testPath(testKey, entityCode, entry.version)}>
                      Version {entry.version}
                    </Anchor>
                  )}
                </Table.Td>
                <Table.Td>
                  <VersionStateBadge state={entry.state} />
                </Table.Td>
                <Table.Td>{entry.name}</Table.Td>
                <Table.Td>{entry.createdBy}</Table.Td>
                <Table.Td>{formatDateTime(entry.createdAt)}</Table.Td>
                <Table.Td>
                  {entry.decidedAt === null ? '—' : formatDateTime(entry.decidedAt)}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {filtered.length === 0 && <Text size="sm">No version is in this state.</Text>}
      <ListPagination pageOf={pageOf} noun="versions" label="Pages of versions" />
      {versions.length >= 2 && (
        <VersionComparison
          // A new shown version starts a new comparison.
          key={shownVersion}
          testKey={testKey}
          entityCode={entityCode}
          versions={versions}
          shownVersion={shownVersion}
          activeVersion={activeVersion}
        />
      )}
    </Stack>
  );
}
