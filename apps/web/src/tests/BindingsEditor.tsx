import { Button, Fieldset, Group, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { DatasetBindingFields } from '../datasets/DatasetBindingFields.tsx';
import { type BindingValues, emptyBinding } from '../datasets/dataset-binding.ts';
import type { InputValues } from './definition-form.ts';

/**
 * Edits the dataset each declared input reads when a run names none, which a
 * schedule needs for every input. Bindings of inputs that the form no longer
 * declares stay listed with their error until the user removes them.
 */
export function BindingsEditor({
  entityCode,
  inputs,
  bindings,
  scheduled,
  errorOf,
  setBinding,
  removeBinding,
}: {
  entityCode: string;
  inputs: readonly InputValues[];
  bindings: Record<string, BindingValues>;
  /** True while the schedule field is not empty. */
  scheduled: boolean;
  /** The validation error at a form path such as "bindings.payments.dataset". */
  errorOf: (path: string) => ReactNode;
  setBinding: (input: string, binding: BindingValues) => void;
  removeBinding: (input: string) => void;
}) {
  const declared = inputs.filter((input) => input.name.trim() !== '');
  const declaredNames = new Set(declared.map((input) => input.name.trim()));
  const orphans = Object.keys(bindings).filter((name) => !declaredNames.has(name));
  const sectionError = errorOf('bindings');

  return (
    <Stack component="section" aria-labelledby="bindings-editor-heading" gap="sm">
      <Title order={2} id="bindings-editor-heading">
        Input bindings
      </Title>
      <Text size="sm" maw={720}>
        A binding names the dataset an input reads when a run names none, at a fixed version or the
        latest one when the run is requested. A field left unmapped reads the column of its own
        name. A run may still choose another dataset.
      </Text>
      {sectionError !== undefined && (
        <Text size="sm" c="red.8" role="alert" data-testid="bindings-error">
          {sectionError}
        </Text>
      )}
      {declared.map((input) => {
        const name = input.name.trim();
        const binding = bindings[name];
        const extraFields = Object.keys(binding?.fields ?? {}).filter(
          (field) => !input.fields.some((candidate) => candidate.name === field),
        );
        return (
          <Fieldset key={name} legend={`Binding of input ${name}`} data-testid="binding-editor">
            <Stack gap="xs">
              <DatasetBindingFields
                entityCode={entityCode}
                input={{ name, fields: input.fields }}
                value={binding ?? emptyBinding()}
                onChange={(next) => setBinding(name, next)}
                errorOf={(path) => errorOf(`bindings.${name}.${path}`)}
                unboundLabel="Not bound: each run chooses a dataset"
                columnProblemsAreErrors={false}
                prefillInitial={false}
              />
              {extraFields.map((field) => (
                <Group key={field} gap="xs">
                  <Text size="xs" c="red.8">
                    Mapping of {field}:{' '}
                    {errorOf(`bindings.${name}.fields.${field}`) ?? 'is not a field of this input'}
                  </Text>
                  <Button
                    variant="subtle"
                    color="red"
                    size="compact-xs"
                    onClick={() => {
                      if (binding === undefined) return;
                      const { [field]: _removed, ...fields } = binding.fields;
                      setBinding(name, { ...binding, fields });
                    }}
                  >
                    Remove mapping of {field}
                  </Button>
                </Group>
              ))}
              {binding !== undefined && (
                <Group gap="sm">
                  <Button
                    variant="subtle"
                    color="red"
                    size="xs"
                    disabled={scheduled}
                    onClick={() => removeBinding(name)}
                  >
                    Remove binding of {name}
                  </Button>
                  {scheduled && (
                    <Text size="xs">
                      A schedule is set, and scheduled runs read every input from its binding. Clear
                      the schedule to remove this binding.
                    </Text>
                  )}
                </Group>
              )}
            </Stack>
          </Fieldset>
        );
      })}
      {orphans.map((name) => (
        <Group key={name} gap="xs" data-testid="orphan-binding">
          <Text size="sm" c="red.8">
            Binding of {name}: {errorOf(`bindings.${name}`) ?? 'is not a declared input'}
          </Text>
          <Button variant="subtle" color="red" size="xs" onClick={() => removeBinding(name)}>
            Remove binding of {name}
          </Button>
        </Group>
      ))}
    </Stack>
  );
}
