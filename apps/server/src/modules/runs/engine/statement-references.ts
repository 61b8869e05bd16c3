import { SandboxError } from './sandbox-errors.ts';

/**
 * Table functions a query may call. Every other table function is rejected
 * because DuckDB 1.5.6 ships several with side effects that
 * `enable_external_access` and `lock_configuration` do not stop: for example
 * `enable_logging(storage => 'file', ...)` turns on file logging and
 * `enable_profiling()` prints to the server's stdout. File readers such as
 * `read_csv` and `glob`, catalog functions such as `duckdb_settings()`, and
 * `query()`, which runs SQL from a string the check never parses, are also
 * left out.
 */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'generate_series',
  'range',
  'unnest',
]);

/**
 * Scalar functions a query may not call, anywhere in the statement.
 * `current_setting` returns configuration such as the input file paths,
 * `write_log` writes to DuckDB's log, `json_serialize_plan` binds SQL from
 * a string the check never parses, and `getvariable` and the
 * `current_schema…`/`current_database` family describe the instance rather
 * than the data.
 */
export const DENIED_SCALAR_FUNCTIONS: ReadonlySet<string> = new Set([
  'current_catalog',
  'current_database',
  'current_schema',
  'current_schemas',
  'current_setting',
  'getvariable',
  'json_serialize_plan',
  'write_log',
]);

/**
 * Prefixes of DuckDB's catalog functions and PostgreSQL-compatibility
 * macros. In DuckDB 1.5.6, `pg_get_viewdef('payments')` returns an input
 * view's SQL with the path of its Parquet file, so every function with
 * these prefixes is denied rather than listed one by one.
 */
const DENIED_FUNCTION_PREFIXES = ['pg_', 'duckdb_'] as const;

function isDeniedFunction(name: string): boolean {
  return (
    DENIED_SCALAR_FUNCTIONS.has(name) ||
    DENIED_FUNCTION_PREFIXES.some((prefix) => name.startsWith(prefix))
  );
}

export interface ReferenceCheckOptions {
  /**
   * Relations the statement may read besides its own CTEs. When given, any
   * other table name, and any name qualified with a schema or catalog, is
   * rejected. This blocks DuckDB's catalog views (`pg_settings`,
   * `duckdb_logs`, `information_schema.tables`) and replacement scans such as
   * `FROM '/etc/passwd'`.
   */
  relationNames?: readonly string[];
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(node: JsonObject, key: string): string {
  const value = node[key];
  return typeof value === 'string' ? value : '';
}

function notAllowed(message: string): SandboxError {
  return new SandboxError('SQL_NOT_ALLOWED', message);
}

function formatNames(names: Iterable<string>): string {
  const sorted = [...names].sort();
  return sorted.length > 0 ? sorted.join(', ') : '(none)';
}

/**
 * Walker over DuckDB's JSON form of a parsed SELECT (the output of
 * `json_serialize_sql`). It visits every object in the tree, so a function
 * call or table reference is checked wherever it sits: in a subquery, CTE,
 * lambda, window or filter clause.
 */
class ReferenceChecker {
  readonly #relations: ReadonlySet<string> | undefined;

  constructor(options: ReferenceCheckOptions) {
    this.#relations =
      options.relationNames === undefined
        ? undefined
        : new Set(options.relationNames.map((name) => name.toLowerCase()));
  }

  /**
   * Visit a value. `cteNames` are the CTE names visible at this point. A CTE
   * body can reference the CTEs defined before it in the same WITH clause,
   * and the rest of the query node can reference all of them. A CTE can
   * reference itself only when DuckDB parsed it as recursive (a
   * RECURSIVE_CTE_NODE), because in a plain CTE its own name refers to an
   * outer relation.
   */
  visit(value: unknown, cteNames: ReadonlySet<string>): void {
    if (Array.isArray(value)) {
      for (const item of value) this.visit(item, cteNames);
      return;
    }
    if (!isObject(value)) return;

    let scope = cteNames;
    const cteMap = value.cte_map;
    if (isObject(cteMap) && Array.isArray(cteMap.map)) {
      const visible = new Set(cteNames);
      for (const entry of cteMap.map) {
        if (!isObject(entry)) continue;
        this.visit(entry.value, visible);
        if (typeof entry.key === 'string') visible.add(entry.key.toLowerCase());
      }
      scope = visible;
    }
    if (value.type === 'RECURSIVE_CTE_NODE') {
      const cteName = stringField(value, 'cte_name').toLowerCase();
      scope = new Set([...scope, cteName]);
    }

    this.#checkNode(value, scope);
    for (const [key, child] of Object.entries(value)) {
      if (key !== 'cte_map') this.visit(child, scope);
    }
  }

  #checkNode(node: JsonObject, cteNames: ReadonlySet<string>): void {
    // Function calls of every kind (scalar, aggregate, window, table) carry
    // `function_name`. The parser lowercases unquoted names but keeps the
    // case of quoted ones, and DuckDB resolves both without regard to case.
    const functionName = stringField(node, 'function_name').toLowerCase();
    if (isDeniedFunction(functionName)) {
      throw notAllowed(`Function ${functionName}() is not allowed in a sandboxed query.`);
    }

    // Expressions have a `class`, but table references and query nodes do not.
    if ('class' in node) return;
    switch (node.type) {
      case 'TABLE_FUNCTION':
        this.#checkTableFunction(node);
        break;
      case 'BASE_TABLE':
        this.#checkBaseTable(node, cteNames);
        break;
      case 'SHOW_REF':
        throw notAllowed(
          'DESCRIBE, SHOW and SUMMARIZE are not allowed. Select from the inputs instead.',
        );
    }
  }

  #checkTableFunction(node: JsonObject): void {
    const call = isObject(node.function) ? node.function : {};
    const name = stringField(call, 'function_name').toLowerCase();
    const qualified = stringField(call, 'schema') !== '' || stringField(call, 'catalog') !== '';
    if (qualified || !ALLOWED_TABLE_FUNCTIONS.has(name)) {
      throw notAllowed(
        `Table function ${name}() is not allowed. A sandboxed query may call only ` +
          `${formatNames(ALLOWED_TABLE_FUNCTIONS)} and must read data through its inputs.`,
      );
    }
  }

  #checkBaseTable(node: JsonObject, cteNames: ReadonlySet<string>): void {
    if (this.#relations === undefined) return;

    const tableName = stringField(node, 'table_name');
    const schemaName = stringField(node, 'schema_name');
    const catalogName = stringField(node, 'catalog_name');
    const qualifiedName = [catalogName, schemaName, tableName]
      .filter((part) => part !== '')
      .join('.');
    const name = tableName.toLowerCase();
    const known = this.#relations.has(name) || cteNames.has(name);
    if (schemaName !== '' || catalogName !== '' || !known) {
      throw notAllowed(
        `Table ${JSON.stringify(qualifiedName)} is not an input of this run. ` +
          `The inputs are ${formatNames(this.#relations)}.`,
      );
    }
  }
}

/**
 * Check every function call and table reference in a parsed SELECT against
 * the sandbox's rules. Throws SandboxError SQL_NOT_ALLOWED on the first
 * violation.
 */
export function checkStatementReferences(node: unknown, options: ReferenceCheckOptions): void {
  new ReferenceChecker(options).visit(node, new Set());
}
