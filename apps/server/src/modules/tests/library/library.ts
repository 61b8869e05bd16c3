import { type TestTemplate, testTemplateSchema } from './template.ts';
import { benfordFirstDigit } from './templates/benford-first-digit.ts';
import { benfordFirstTwo } from './templates/benford-first-two.ts';
import { duplicatePaymentsExact } from './templates/duplicate-payments-exact.ts';
import { duplicatePaymentsLikely } from './templates/duplicate-payments-likely.ts';
import { justBelowLimit } from './templates/just-below-limit.ts';
import { roundAmounts } from './templates/round-amounts.ts';
import { sequenceGapsDuplicates } from './templates/sequence-gaps-duplicates.ts';
import { sodConflicts } from './templates/sod-conflicts.ts';
import { splitPurchases } from './templates/split-purchases.ts';
import { terminatedUsersWithAccess } from './templates/terminated-users-with-access.ts';
import { threeWayMatch } from './templates/three-way-match.ts';
import { vendorEmployeeMatch } from './templates/vendor-employee-match.ts';
import { weekendHolidayPostings } from './templates/weekend-holiday-postings.ts';

export type { TestTemplate } from './template.ts';

/** Freeze `value` and every object and array inside it, so callers cannot change a template. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function loadLibrary(templates: readonly TestTemplate[]): readonly TestTemplate[] {
  const keys = new Set<string>();
  return deepFreeze(
    templates.map((template) => {
      const parsed = testTemplateSchema.safeParse(template);
      if (!parsed.success) {
        throw new Error(
          `Library template ${JSON.stringify(template.key)} is invalid: ${parsed.error.message}`,
        );
      }
      if (keys.has(parsed.data.key)) {
        throw new Error(`Library template key ${JSON.stringify(parsed.data.key)} is used twice.`);
      }
      keys.add(parsed.data.key);
      return parsed.data;
    }),
  );
}

/**
 * The current version of every standard test template, checked against
 * testTemplateSchema when this module loads.
 */
export const LIBRARY_TEMPLATES: readonly TestTemplate[] = loadLibrary([
  duplicatePaymentsExact,
  duplicatePaymentsLikely,
  splitPurchases,
  weekendHolidayPostings,
  roundAmounts,
  justBelowLimit,
  benfordFirstDigit,
  benfordFirstTwo,
  sequenceGapsDuplicates,
  threeWayMatch,
  vendorEmployeeMatch,
  terminatedUsersWithAccess,
  sodConflicts,
]);

const TEMPLATES_BY_KEY: ReadonlyMap<string, TestTemplate> = new Map(
  LIBRARY_TEMPLATES.map((template) => [template.key, template]),
);

/** Return the library template with this key, or undefined when there is none. */
export function findTemplate(key: string): TestTemplate | undefined {
  return TEMPLATES_BY_KEY.get(key);
}
