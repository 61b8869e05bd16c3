import type { SandboxParameter } from '../../runs/engine/sandbox.ts';
import type { TemplateParameter, TestTemplate } from './template.ts';

/** A parameter value that a run gives for a template, before type checks. */
export type TemplateParameterValue = number | bigint | string | boolean;

/** An invalid, missing or unknown parameter value for a template. */
export class TemplateParameterError extends Error {
  override readonly name = 'TemplateParameterError';
}

function invalidValue(
  template: TestTemplate,
  parameter: TemplateParameter,
  value: TemplateParameterValue,
  expected: string,
): TemplateParameterError {
  return new TemplateParameterError(
    `Parameter $${parameter.name} of template ${template.key} must be ${expected}, got ${JSON.stringify(String(value))}.`,
  );
}

function toSandboxParameter(
  template: TestTemplate,
  parameter: TemplateParameter,
  value: TemplateParameterValue,
): SandboxParameter {
  const { name } = parameter;
  switch (parameter.type) {
    case 'integer':
      if (typeof value === 'boolean') {
        throw invalidValue(template, parameter, value, 'an integer');
      }
      return { name, type: 'integer', value };
    case 'decimal':
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw invalidValue(template, parameter, value, 'a decimal such as "1.96"');
      }
      return { name, type: 'decimal', value };
    case 'text':
      if (typeof value !== 'string') throw invalidValue(template, parameter, value, 'a string');
      return { name, type: 'text', value };
    case 'date':
      if (typeof value !== 'string') {
        throw invalidValue(template, parameter, value, 'a date "YYYY-MM-DD"');
      }
      return { name, type: 'date', value };
    case 'boolean':
      if (typeof value !== 'boolean')
        throw invalidValue(template, parameter, value, 'true or false');
      return { name, type: 'boolean', value };
  }
}

/**
 * Build the sandbox parameters of a run of `template`: each given value, or
 * else the parameter's default. Checks the JavaScript type of each value.
 * runSandboxedQuery checks the value itself (integer range, decimal and date
 * syntax), and the template's SQL checks its allowed range.
 *
 * Throws TemplateParameterError for a value of the wrong type, a name the
 * template does not declare, or a parameter without default that has no value.
 */
export function resolveTemplateParameters(
  template: TestTemplate,
  values: Readonly<Record<string, TemplateParameterValue>> = {},
): SandboxParameter[] {
  const declared = new Set(template.parameters.map((parameter) => parameter.name));
  const unknown = Object.keys(values).filter((name) => !declared.has(name));
  if (unknown.length > 0) {
    throw new TemplateParameterError(
      `Template ${template.key} has no parameter ${unknown.map((name) => `$${name}`).join(', ')}. ` +
        `Its parameters are ${[...declared].map((name) => `$${name}`).join(', ') || '(none)'}.`,
    );
  }

  return template.parameters.map((parameter) => {
    const value = Object.hasOwn(values, parameter.name) ? values[parameter.name] : undefined;
    const resolved = value ?? parameter.default;
    if (resolved === null) {
      throw new TemplateParameterError(
        `Parameter $${parameter.name} of template ${template.key} has no default. Give a value: ${parameter.description}`,
      );
    }
    return toSandboxParameter(template, parameter, resolved);
  });
}
