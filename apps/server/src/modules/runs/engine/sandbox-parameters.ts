import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  type DuckDBPreparedStatement,
} from '@duckdb/node-api';
import { SandboxError } from './sandbox-errors.ts';
import { IDENTIFIER_PATTERN } from './statement-check.ts';

/**
 * A value bound to the query parameter `$name`. Values are always bound
 * through the prepared statement, never spliced into the SQL text.
 *
 * - integer: a safe integer number, a bigint, or a string of decimal digits,
 *   bound as BIGINT.
 * - decimal: a string such as "1250.50", bound as an exact DECIMAL(38, s)
 *   where s is the number of fraction digits, or a finite number, bound as
 *   DOUBLE.
 * - text: bound as VARCHAR.
 * - date: an ISO calendar date "YYYY-MM-DD", bound as DATE.
 * - boolean: bound as BOOLEAN.
 */
export type SandboxParameter =
  | { name: string; type: 'integer'; value: number | bigint | string }
  | { name: string; type: 'decimal'; value: number | string }
  | { name: string; type: 'text'; value: string }
  | { name: string; type: 'date'; value: string }
  | { name: string; type: 'boolean'; value: boolean };

export type SandboxParameterType = SandboxParameter['type'];

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const MAX_DECIMAL_DIGITS = 38;
const INTEGER_TEXT = /^[+-]?\d{1,20}$/;
const DECIMAL_TEXT = /^([+-]?)(\d+)(?:\.(\d+))?$/;
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;

function invalid(name: string, message: string): SandboxError {
  return new SandboxError('INPUT_INVALID', `Parameter $${name}: ${message}`);
}

function toInt64(name: string, value: unknown): bigint {
  let integer: bigint;
  if (typeof value === 'bigint') {
    integer = value;
  } else if (typeof value === 'number' && Number.isSafeInteger(value)) {
    integer = BigInt(value);
  } else if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
    integer = BigInt(value);
  } else {
    throw invalid(name, `expected an integer, got ${JSON.stringify(String(value))}.`);
  }
  if (integer < INT64_MIN || integer > INT64_MAX) {
    throw invalid(name, `integer ${integer} is outside the BIGINT range.`);
  }
  return integer;
}

function toDecimal(name: string, value: string): DuckDBDecimalValue {
  const match = DECIMAL_TEXT.exec(value);
  if (!match) {
    throw invalid(name, `expected a decimal such as "1250.50", got ${JSON.stringify(value)}.`);
  }
  const [, sign = '', whole = '', fraction = ''] = match;
  const digits = (whole + fraction).replace(/^0+(?=\d)/, '');
  if (digits.length > MAX_DECIMAL_DIGITS) {
    throw invalid(name, `decimal has more than ${MAX_DECIMAL_DIGITS} significant digits.`);
  }
  if (fraction.length > MAX_DECIMAL_DIGITS) {
    throw invalid(name, `decimal has more than ${MAX_DECIMAL_DIGITS} fraction digits.`);
  }
  const scaled = BigInt(`${sign}${whole}${fraction}`);
  return new DuckDBDecimalValue(scaled, MAX_DECIMAL_DIGITS, fraction.length);
}

function toDate(name: string, value: unknown): DuckDBDateValue {
  const match = typeof value === 'string' ? DATE_TEXT.exec(value) : null;
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  const day = Number(match?.[3]);
  // Date.UTC rolls 2023-02-30 over to March, so a round trip finds invalid days.
  const probe = new Date(Date.UTC(year, month - 1, day));
  const valid =
    match !== null &&
    probe.getUTCFullYear() === year &&
    probe.getUTCMonth() === month - 1 &&
    probe.getUTCDate() === day;
  if (!valid) {
    throw invalid(name, `expected a date "YYYY-MM-DD", got ${JSON.stringify(String(value))}.`);
  }
  return DuckDBDateValue.fromParts({ year, month, day });
}

function bindParameter(
  prepared: DuckDBPreparedStatement,
  index: number,
  parameter: SandboxParameter,
): void {
  const { name, value } = parameter;
  switch (parameter.type) {
    case 'integer':
      prepared.bindBigInt(index, toInt64(name, value));
      return;
    case 'decimal':
      if (typeof value === 'string') {
        prepared.bindDecimal(index, toDecimal(name, value));
      } else if (typeof value === 'number' && Number.isFinite(value)) {
        prepared.bindDouble(index, value);
      } else {
        throw invalid(name, 'expected a decimal string or a finite number.');
      }
      return;
    case 'text':
      if (typeof value !== 'string') throw invalid(name, 'expected a string.');
      prepared.bindVarchar(index, value);
      return;
    case 'date':
      prepared.bindDate(index, toDate(name, value));
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid(name, 'expected true or false.');
      prepared.bindBoolean(index, value);
      return;
    default: {
      const type: unknown = (parameter as { type: unknown }).type;
      throw invalid(
        name,
        `unknown type ${JSON.stringify(type)}. Use integer, decimal, text, date or boolean.`,
      );
    }
  }
}

/**
 * Bind `parameters` to the prepared statement by name. Every parameter the
 * statement uses must have exactly one value, and every value must be used,
 * so a misspelt name fails instead of silently matching nothing.
 */
export function bindParameters(
  prepared: DuckDBPreparedStatement,
  parameters: readonly SandboxParameter[],
): void {
  const byName = new Map<string, SandboxParameter>();
  for (const parameter of parameters) {
    if (typeof parameter.name !== 'string' || !IDENTIFIER_PATTERN.test(parameter.name)) {
      throw new SandboxError(
        'INPUT_INVALID',
        `Parameter name ${JSON.stringify(parameter.name)} is invalid. Use lowercase letters, ` +
          'digits and underscores, starting with a letter.',
      );
    }
    if (byName.has(parameter.name)) throw invalid(parameter.name, 'given more than once.');
    byName.set(parameter.name, parameter);
  }

  const used = new Set<string>();
  for (let index = 1; index <= prepared.parameterCount; index++) {
    const name = prepared.parameterName(index);
    const parameter = byName.get(name);
    if (parameter === undefined) {
      throw invalid(name, 'the query uses this parameter but the request gives no value.');
    }
    bindParameter(prepared, index, parameter);
    used.add(name);
  }

  const unused = [...byName.keys()].filter((name) => !used.has(name));
  if (unused.length > 0) {
    throw new SandboxError(
      'INPUT_INVALID',
      `Parameters not used by the query: ${unused.map((name) => `$${name}`).join(', ')}.`,
    );
  }
}
