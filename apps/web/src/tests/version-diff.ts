import type { ExportedDefinition } from './tests-api.ts';

export type DiffLine =
  | { kind: 'same'; text: string }
  | { kind: 'removed'; text: string }
  | { kind: 'added'; text: string };

/**
 * Maximum size, in cells, of the longest-common-subsequence table, which
 * has (lines before + 1) × (lines after + 1) cells. Longer texts show as
 * wholly replaced.
 */
const MAX_DIFF_CELLS = 4_000_000;

/** Diff `before` against `after` line by line through their longest common subsequence. */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  if ((a.length + 1) * (b.length + 1) > MAX_DIFF_CELLS) {
    return [
      ...a.map((text) => ({ kind: 'removed' as const, text })),
      ...b.map((text) => ({ kind: 'added' as const, text })),
    ];
  }

  // common[i][j] is the length of the longest common subsequence of a[i..] and b[j..].
  const width = b.length + 1;
  const common = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i * width + j] =
        a[i] === b[j]
          ? (common[(i + 1) * width + j + 1] ?? 0) + 1
          : Math.max(common[(i + 1) * width + j] ?? 0, common[i * width + j + 1] ?? 0);
    }
  }

  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const left = a[i] ?? '';
    const right = b[j] ?? '';
    if (left === right) {
      lines.push({ kind: 'same', text: left });
      i++;
      j++;
    } else if ((common[(i + 1) * width + j] ?? 0) >= (common[i * width + j + 1] ?? 0)) {
      lines.push({ kind: 'removed', text: left });
      i++;
    } else {
      lines.push({ kind: 'added', text: right });
      j++;
    }
  }
  for (; i < a.length; i++) lines.push({ kind: 'removed', text: a[i] ?? '' });
  for (; j < b.length; j++) lines.push({ kind: 'added', text: b[j] ?? '' });
  return lines;
}

export interface FieldChange {
  field: string;
  before: string;
  after: string;
}

/** Stringify `value` with object keys sorted, so key order never counts as a change. */
function stableJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, item: unknown) =>
      item !== null && typeof item === 'object' && !Array.isArray(item)
        ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1)))
        : item,
    ) ?? 'none'
  );
}

function describeText(value: unknown): string {
  return typeof value === 'string' && value !== '' ? value : 'none';
}

function describeList(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join(', ') : 'none';
}

interface DefinitionField {
  label: string;
  describe: (definition: ExportedDefinition) => string;
}

/** The parts of a definition apart from its SQL, in the order the definition file lists them. */
const DEFINITION_FIELDS: readonly DefinitionField[] = [
  { label: 'Name', describe: (definition) => describeText(definition.name) },
  { label: 'Description', describe: (definition) => describeText(definition.description) },
  {
    label: 'Control reference',
    describe: (definition) => describeText(definition.controlReference),
  },
  { label: 'Severity', describe: (definition) => describeText(definition.severity) },
  { label: 'Inputs', describe: (definition) => stableJson(definition.inputs) },
  { label: 'Parameters', describe: (definition) => stableJson(definition.parameters) },
  { label: 'Key columns', describe: (definition) => describeList(definition.keyColumns) },
  { label: 'Summary SQL', describe: (definition) => describeText(definition.summarySql) },
  { label: 'Bindings', describe: (definition) => stableJson(definition.bindings) },
  { label: 'Schedule', describe: (definition) => describeText(definition.schedule) },
];

/** Compare two versions field by field, apart from the SQL, and return only the fields that differ. */
export function diffDefinitionFields(
  before: ExportedDefinition,
  after: ExportedDefinition,
): FieldChange[] {
  return DEFINITION_FIELDS.map(({ label, describe }) => ({
    field: label,
    before: describe(before),
    after: describe(after),
  })).filter((change) => change.before !== change.after);
}
