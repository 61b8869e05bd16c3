import { Fieldset, Loader, Stack, Text } from '@mantine/core';
import type { UseFormReturnType } from '@mantine/form';
import { DatasetBindingFields } from '../datasets/DatasetBindingFields.tsx';
import { ErrorAlert } from '../shared/ErrorAlert.tsx';
import type { RunFormValues } from './run-request-form.ts';
import type { DeclaredInputs } from './use-declared-inputs.ts';

/**
 * The inputs of the chosen test, each with its dataset, version and the
 * columns its fields read. A required field without a column shows its
 * error here, and the form does not send the request until it has one.
 */
export function RunInputsFieldset({
  form,
  declared,
}: {
  form: UseFormReturnType<RunFormValues>;
  declared: DeclaredInputs;
}) {
  const { values } = form;
  return (
    <Fieldset legend="Inputs">
      <Stack>
        {declared.status === 'none' && (
          <Text size="sm">{declared.reason ?? 'Choose a test to see the inputs it reads.'}</Text>
        )}
        {declared.status === 'loading' && (
          <Loader size="sm" aria-label="Loading the inputs of the test" />
        )}
        {declared.status === 'error' && (
          <ErrorAlert error={declared.error} title="The inputs of the test could not be loaded" />
        )}
        {declared.status === 'ready' && (
          <Text size="sm" c="dimmed">
            The {declared.source} of the test reads these inputs from datasets of {values.entity}.
            Inputs that the version binds start with its dataset. Each field reads the column you
            choose, or else the column of its own name.
          </Text>
        )}
        {declared.status === 'ready' &&
          values.inputs.map((input, index) => {
            const declaredInput = declared.inputs.find(
              (candidate) => candidate.name === input.name,
            );
            if (declaredInput === undefined) return null;
            return (
              <Fieldset
                key={input.name}
                legend={`Input ${input.name}`}
                variant="unstyled"
                data-testid="run-input-binding"
              >
                <DatasetBindingFields
                  entityCode={values.entity}
                  input={declaredInput}
                  value={input}
                  onChange={(next) =>
                    form.setFieldValue(`inputs.${index}`, { ...next, name: input.name })
                  }
                  errorOf={(path) => form.errors[`inputs.${index}.${path}`]}
                  unboundLabel="Choose a dataset"
                  columnProblemsAreErrors
                  prefillInitial
                />
              </Fieldset>
            );
          })}
      </Stack>
    </Fieldset>
  );
}
