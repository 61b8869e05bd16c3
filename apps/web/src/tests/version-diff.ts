import type { RunDetail } from '../runs/runs-api.ts';

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

function describeInputs(run: RunDetail): string {
  return run.inputs
    .map((input) => `${input.name}(${Object.keys(input.fields).sort().join(', ')})`)
    .join('; ');
}

/** Stringify `value` with object keys sorted, so key order never counts as a change. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1)))
      : item,
  );
}

/**
 * Compare what two runs recorded of their versions apart from the SQL:
 * key columns, summary SQL, the input fields and the bound parameter
 * values. Return only the fields that differ.
 */
export function diffRecordedFields(before: RunDetail, after: RunDetail): FieldChange[] {
  const fields: [string, string, string][] = [
    ['Key columns', before.keyColumns.join(', '), after.keyColumns.join(', ')],
    ['Summary SQL', before.summarySql ?? 'none', after.summarySql ?? 'none'],
    ['Input fields', describeInputs(before), describeInputs(after)],
    ['Parameter values', stableJson(before.parameters), stableJson(after.parameters)],
  ];
  return fields
    .filter(([, left, right]) => left !== right)
    .map(([field, left, right]) => ({ field, before: left, after: right }));
}
