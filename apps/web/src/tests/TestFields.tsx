import { Badge, Code, List, Stack, Table, Text } from '@mantine/core';
import type { TestTemplate } from './tests-api.ts';

type TestInput = TestTemplate['inputs'][number];
type TestParameter = TestTemplate['parameters'][number];

const SEVERITY_COLORS: Record<string, string> = {
  critical: 'red',
  high: 'orange',
  medium: 'yellow',
  low: 'blue',
};

export function SeverityBadge({ severity }: { severity: string | null }) {
  if (severity === null) return <Text span>—</Text>;
  return (
    // The dot variant keeps the label in the body text color, which meets WCAG AA contrast.
    <Badge color={SEVERITY_COLORS[severity] ?? 'gray'} variant="dot" miw="max-content">
      {severity}
    </Badge>
  );
}

/** Renders each input with its fields as "name: type, required|optional". */
export function InputList({ inputs }: { inputs: readonly TestInput[] | null }) {
  if (inputs === null) return <Text span>—</Text>;
  return (
    <Stack gap={4}>
      {inputs.map((input) => (
        <div key={input.name} data-testid="test-input">
          <Code>{input.name}</Code>
          <List size="sm" withPadding>
            {input.fields.map((field) => (
              <List.Item key={field.name}>
                {field.name}: {field.type}, {field.required ? 'required' : 'optional'}
              </List.Item>
            ))}
          </List>
        </div>
      ))}
    </Stack>
  );
}

function formatDefault(value: TestParameter['default']): string {
  return value === null ? 'none (a run must set it)' : String(value);
}

/** Renders each parameter as "name: type = default". */
export function ParameterList({ parameters }: { parameters: readonly TestParameter[] | null }) {
  if (parameters === null) return <Text span>—</Text>;
  if (parameters.length === 0) return <Text span>None</Text>;
  return (
    <List size="sm">
      {parameters.map((parameter) => (
        <List.Item key={parameter.name} data-testid="test-parameter">
          {parameter.name}: {parameter.type} = {formatDefault(parameter.default)}
        </List.Item>
      ))}
    </List>
  );
}

/** Renders a table of the inputs' fields, with each field's description. */
export function InputTable({ inputs }: { inputs: readonly TestInput[] }) {
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table striped aria-label="Input fields">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Input</Table.Th>
            <Table.Th>Field</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Required</Table.Th>
            <Table.Th>Description</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {inputs.flatMap((input) =>
            input.fields.map((field) => (
              <Table.Tr key={`${input.name}.${field.name}`} data-testid="input-field">
                <Table.Td>{input.name}</Table.Td>
                <Table.Td>{field.name}</Table.Td>
                <Table.Td>{field.type}</Table.Td>
                <Table.Td>{field.required ? 'Yes' : 'No'}</Table.Td>
                <Table.Td>{field.description}</Table.Td>
              </Table.Tr>
            )),
          )}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Renders a table of the parameters with type, default and description. */
export function ParameterTable({ parameters }: { parameters: readonly TestParameter[] }) {
  if (parameters.length === 0) return <Text>This test takes no parameters.</Text>;
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table striped aria-label="Parameters">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Parameter</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Default</Table.Th>
            <Table.Th>Description</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {parameters.map((parameter) => (
            <Table.Tr key={parameter.name} data-testid="parameter-row">
              <Table.Td>{parameter.name}</Table.Td>
              <Table.Td>{parameter.type}</Table.Td>
              <Table.Td>{formatDefault(parameter.default)}</Table.Td>
              <Table.Td>{parameter.description}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
