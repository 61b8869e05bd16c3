/** One problem with one configuration variable. */
export interface ConfigProblem {
  variable: string;
  value: string | undefined;
  problem: string;
  fix: string;
}

const SECRET_VARIABLES = new Set(['DATABASE_URL', 'PEYTONIX_APP_DATABASE_URL']);

/** Replace a URL's password so a configuration message never prints it. */
export function redactUrlPassword(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) {
      url.password = '***';
    }
    return url.toString();
  } catch {
    return '(unparseable value hidden)';
  }
}

function formatValue(problem: ConfigProblem): string {
  if (problem.value === undefined) {
    return `${problem.variable} is missing`;
  }

  const printableValue = SECRET_VARIABLES.has(problem.variable)
    ? redactUrlPassword(problem.value)
    : problem.value;
  return `${problem.variable}=${JSON.stringify(printableValue)} is invalid`;
}

/**
 * Raised when configuration cannot be used. The CLI prints `message` and
 * exits with code 2.
 */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    const lines = problems.map(
      (problem) => `  ${formatValue(problem)}: ${problem.problem}. Fix: ${problem.fix}.`,
    );
    super(`Invalid configuration:\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
