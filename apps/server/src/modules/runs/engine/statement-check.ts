import { DuckDBInstance } from '@duckdb/node-api';
import { describeDuckDBError, toStringIndex } from './duckdb-errors.ts';
import { SandboxError } from './sandbox-errors.ts';
import { checkStatementReferences, type ReferenceCheckOptions } from './statement-references.ts';

/** Maximum size of a query's SQL text, in UTF-8 bytes. */
export const MAX_SQL_BYTES = 100 * 1024;

/** Form of a query parameter name (`$name`), also required of input names. */
export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Query node types that DuckDB 1.5.6 produces for the body of a SELECT
 * statement: a plain SELECT (also WITH, VALUES and FROM-first forms), a
 * UNION/EXCEPT/INTERSECT, and the two CTE node kinds.
 */
const SELECT_NODE_TYPES: ReadonlySet<string> = new Set([
  'SELECT_NODE',
  'SET_OPERATION_NODE',
  'CTE_NODE',
  'RECURSIVE_CTE_NODE',
]);

/** Error message json_serialize_sql returns for any statement other than a SELECT. */
const NOT_SELECT_MESSAGE = 'Only SELECT statements can be serialized to json!';

export interface CheckedSelect {
  /** Names of the `$name` parameters the statement uses, in order of first use. */
  parameterNames: string[];
  /** DuckDB's JSON form of the parsed statement (`statements[0]` of json_serialize_sql). */
  statement: Record<string, unknown>;
}

export type SelectCheckOptions = ReferenceCheckOptions;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parse `sql` with DuckDB's own parser in a throwaway in-memory instance. */
async function serializeStatements(sql: string): Promise<unknown> {
  // The text is only ever a bound parameter of json_serialize_sql, so it is
  // parsed but never executed. The locked-down options are a second guard.
  const instance = await DuckDBInstance.create(':memory:', {
    threads: '1',
    enable_external_access: 'false',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    errors_as_json: 'true',
  });
  try {
    const connection = await instance.connect();
    try {
      const reader = await connection.runAndReadAll('SELECT json_serialize_sql($sql::VARCHAR)', {
        sql,
      });
      const serialized = reader.getRows()[0]?.[0];
      if (typeof serialized !== 'string') {
        throw new SandboxError('SANDBOX_FAILED', 'json_serialize_sql returned no result.');
      }
      return JSON.parse(serialized);
    } finally {
      connection.closeSync();
    }
  } catch (error) {
    if (error instanceof SandboxError) throw error;
    const details = describeDuckDBError(error);
    throw new SandboxError('SANDBOX_FAILED', `Parsing the query failed: ${details.message}`, {
      cause: error,
    });
  } finally {
    instance.closeSync();
  }
}

function rejectSerializerError(sql: string, result: Record<string, unknown>): never {
  const message = typeof result.error_message === 'string' ? result.error_message : 'unknown error';
  if (result.error_type === 'parser') {
    const reported = Number(result.position);
    const hasPosition = Number.isSafeInteger(reported) && reported >= 0;
    const position = hasPosition ? toStringIndex(sql, reported, 'codePoints') : 0;
    throw new SandboxError(
      'SQL_INVALID',
      hasPosition ? `SQL syntax error at offset ${position}: ${message}` : `SQL error: ${message}`,
      hasPosition ? { position } : {},
    );
  }

  // json_serialize_sql serializes SELECT statements only. For INSERT, COPY,
  // ATTACH, SET, PRAGMA, CALL, EXPLAIN and every other kind, DuckDB 1.5.6
  // returns error_type "not implemented" with NOT_SELECT_MESSAGE, as
  // sandbox-statement-check.test.ts checks. Any other failure is rejected the
  // same way, so an unexpected output never lets a statement through.
  const detail = message === NOT_SELECT_MESSAGE ? 'it is not a SELECT' : message;
  throw new SandboxError(
    'SQL_NOT_SINGLE_SELECT',
    `The query must be a single SELECT statement, but ${detail}.`,
  );
}

function readParameterNames(statement: Record<string, unknown>): string[] {
  const entries = Array.isArray(statement.named_param_map) ? statement.named_param_map : [];
  const parameters: { name: string; index: number }[] = [];
  for (const entry of entries) {
    if (!isObject(entry) || typeof entry.key !== 'string') continue;
    if (!IDENTIFIER_PATTERN.test(entry.key)) {
      throw new SandboxError(
        'SQL_INVALID',
        `Query parameter $${entry.key} is not supported. Use named parameters of lowercase ` +
          'letters, digits and underscores such as $start_date.',
      );
    }
    parameters.push({ name: entry.key, index: Number(entry.value) });
  }
  return parameters.sort((left, right) => left.index - right.index).map(({ name }) => name);
}

/**
 * Check that `sql` is exactly one SELECT statement (including WITH, UNION and
 * VALUES forms) and that it calls only allowed functions and reads only the
 * given relations. Uses DuckDB's parser through `json_serialize_sql`, never
 * pattern matching on the text.
 *
 * Throws SandboxError with SQL_INVALID for oversized text, syntax errors and
 * positional parameters, SQL_NOT_SINGLE_SELECT for empty text, several
 * statements or a statement that is not a SELECT, and SQL_NOT_ALLOWED for a
 * denied function or relation. Without `relationNames`, table names are not
 * checked, but the sandbox always passes them.
 */
export async function checkSingleSelect(
  sql: string,
  options: SelectCheckOptions = {},
): Promise<CheckedSelect> {
  const size = Buffer.byteLength(sql, 'utf8');
  if (size > MAX_SQL_BYTES) {
    throw new SandboxError(
      'SQL_INVALID',
      `The query is ${size} bytes long. The maximum is ${MAX_SQL_BYTES} bytes.`,
    );
  }

  const result = await serializeStatements(sql);
  if (!isObject(result)) {
    throw new SandboxError('SANDBOX_FAILED', 'json_serialize_sql returned an unexpected value.');
  }
  if (result.error !== false) rejectSerializerError(sql, result);

  const statements = Array.isArray(result.statements) ? result.statements : [];
  if (statements.length !== 1) {
    throw new SandboxError(
      'SQL_NOT_SINGLE_SELECT',
      statements.length === 0
        ? 'The query contains no statement. Write one SELECT statement.'
        : `The query contains ${statements.length} statements. Write exactly one SELECT statement.`,
    );
  }

  const statement = statements[0];
  const node = isObject(statement) ? statement.node : undefined;
  const nodeType = isObject(node) ? node.type : undefined;
  if (!isObject(statement) || typeof nodeType !== 'string' || !SELECT_NODE_TYPES.has(nodeType)) {
    throw new SandboxError(
      'SQL_NOT_SINGLE_SELECT',
      `The query must be a single SELECT statement, but DuckDB parsed it as ${String(nodeType)}.`,
    );
  }

  checkStatementReferences(node, options);
  return { parameterNames: readParameterNames(statement), statement };
}
