import type { InputBindings } from '@peytonix/contracts';
import type { BindingInput } from '../datasets/dataset-binding.ts';
import { readDefinition } from '../tests/definition-form.ts';
import { useTestDefinition, useTestVersions } from '../tests/tests-api.ts';
import type { TestListing } from './runs-api.ts';

/** The inputs a run of the chosen test reads, and the bindings its version sets. */
export type DeclaredInputs =
  | { status: 'none'; reason: string | null }
  | { status: 'loading' }
  | { status: 'error'; error: Error }
  | {
      status: 'ready';
      /** Changes whenever the inputs or bindings may differ, so the form starts them again. */
      key: string;
      inputs: readonly BindingInput[];
      bindings: InputBindings;
      /** The version the run uses, such as "active version 3" or "library template version 2". */
      source: string;
    };

/**
 * Load the inputs of the version a run of `testKey` in `entityCode` uses:
 * the active version, or with `preview` the newest draft when there is one,
 * as the server chooses. A library template that the entity has no test of
 * yet has its own inputs and no bindings.
 */
export function useDeclaredInputs(
  listing: TestListing,
  entityCode: string,
  testKey: string,
  preview: boolean,
): DeclaredInputs {
  const own = listing.tests.find((test) => test.entityCode === entityCode && test.key === testKey);
  const template = listing.templates.find((candidate) => candidate.key === testKey);
  const versions = useTestVersions(testKey, entityCode, { enabled: own !== undefined && preview });
  const newestDraft = versions.data?.versions.find((version) => version.state === 'draft');
  const versionWaiting = preview && versions.isPending;
  const version = preview ? newestDraft?.version : undefined;
  const usable = own !== undefined && (version !== undefined || own.activeVersion !== null);
  const definition = useTestDefinition(testKey, entityCode, version, {
    enabled: usable && !versionWaiting,
  });

  if (testKey === '') return { status: 'none', reason: null };
  if (own === undefined) {
    if (template === undefined) {
      return { status: 'none', reason: `Entity ${entityCode} has no test ${testKey}.` };
    }
    return {
      status: 'ready',
      key: `${entityCode}|template|${template.key}|${template.version}`,
      inputs: template.inputs,
      bindings: {},
      source: `library template version ${template.version}`,
    };
  }
  if (preview && versions.isError) return { status: 'error', error: versions.error };
  if (versionWaiting) return { status: 'loading' };
  if (!usable) {
    return {
      status: 'none',
      reason: preview
        ? `Test ${testKey} has no active version and no draft. Draft a version first.`
        : `Test ${testKey} has no active version yet. Check Preview to run its newest draft, or get a version approved.`,
    };
  }
  if (definition.isError) return { status: 'error', error: definition.error };
  if (definition.data === undefined) return { status: 'loading' };

  const parsed = readDefinition(definition.data);
  return {
    status: 'ready',
    key: `${entityCode}|test|${testKey}|${definition.data.version}`,
    // A stored version passed the same schema, so a parse failure means that the browser
    // and the server run different releases. The listing still names the inputs then.
    inputs: parsed?.inputs ?? own.inputs ?? [],
    bindings: parsed?.bindings ?? {},
    source: `${definition.data.state} version ${definition.data.version}`,
  };
}
