import type { TestInScope, TestTemplate } from './tests-api.ts';

/** Category shown for a test that was not created from a library template. */
export const CUSTOM_CATEGORY = 'custom';

export interface LibraryFilters {
  /** Entity code; the empty string means every entity. */
  entityCode: string;
  /** Category; the empty string means every category. */
  category: string;
  /** Lower-case text matched against the key and the name. */
  text: string;
}

/** Return the category of a test: its template's, or CUSTOM_CATEGORY. */
export function categoryOf(test: TestInScope, templates: readonly TestTemplate[]): string {
  if (test.templateKey === null) return CUSTOM_CATEGORY;
  return (
    templates.find((template) => template.key === test.templateKey)?.category ?? CUSTOM_CATEGORY
  );
}

function matchesText(text: string, key: string, name: string | null): boolean {
  return text === '' || key.includes(text) || (name?.toLowerCase().includes(text) ?? false);
}

/**
 * Return the tests that match `filters`. `entityCodes` is the chosen
 * entity and every entity below it, or undefined for every entity.
 */
export function filterTests(
  tests: readonly TestInScope[],
  templates: readonly TestTemplate[],
  filters: LibraryFilters,
  entityCodes: ReadonlySet<string> | undefined,
): TestInScope[] {
  return tests.filter(
    (test) =>
      (entityCodes === undefined || entityCodes.has(test.entityCode)) &&
      (filters.category === '' || categoryOf(test, templates) === filters.category) &&
      matchesText(filters.text, test.key, test.name),
  );
}

/**
 * Return the templates that match the category and text of `filters`. The
 * entity filter does not apply, because a template can run in every entity.
 */
export function filterTemplates(
  templates: readonly TestTemplate[],
  filters: LibraryFilters,
): TestTemplate[] {
  return templates.filter(
    (template) =>
      (filters.category === '' || template.category === filters.category) &&
      matchesText(filters.text, template.key, template.name),
  );
}

/** Return every category of the templates, plus CUSTOM_CATEGORY when a test has no template, sorted. */
export function categoriesOf(
  tests: readonly TestInScope[],
  templates: readonly TestTemplate[],
): string[] {
  const categories = new Set(templates.map((template) => template.category));
  if (tests.some((test) => test.templateKey === null)) categories.add(CUSTOM_CATEGORY);
  return [...categories].sort();
}
