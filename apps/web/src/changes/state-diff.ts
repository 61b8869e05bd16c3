import { canonicalJson } from '../shared/canonical-json.ts';

/** One field of a before/after pair, by its path in the JSON state. */
export interface FieldDiff {
  /** Dotted path such as "entity.code", or "(value)" for a state that is not an object. */
  path: string;
  /** The field's JSON text, or undefined when the state lacks the field. */
  before: string | undefined;
  after: string | undefined;
  changed: boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Flatten nested objects into path → JSON text; arrays and scalars stay whole values. */
function flatten(value: unknown, prefix: string, into: Map<string, string>): void {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [key, member] of Object.entries(value)) {
      flatten(member, prefix === '' ? key : `${prefix}.${key}`, into);
    }
    return;
  }
  into.set(prefix === '' ? '(value)' : prefix, canonicalJson(value ?? null));
}

/**
 * Compare two JSON states field by field: every path of either state, in
 * the order the after state lists them, then paths only the before state has.
 */
export function diffStates(before: unknown, after: unknown): FieldDiff[] {
  const beforeFields = new Map<string, string>();
  const afterFields = new Map<string, string>();
  flatten(before, '', beforeFields);
  flatten(after, '', afterFields);
  const paths = [
    ...afterFields.keys(),
    ...[...beforeFields.keys()].filter((path) => !afterFields.has(path)),
  ];
  return paths.map((path) => {
    const beforeText = beforeFields.get(path);
    const afterText = afterFields.get(path);
    return { path, before: beforeText, after: afterText, changed: beforeText !== afterText };
  });
}
