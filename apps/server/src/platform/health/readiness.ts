/** One dependency that must work before the server takes traffic. */
export interface ReadinessCheck {
  name: string;
  /** Resolves when healthy; rejects with an Error whose message is safe to show. */
  run(): Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  failedCheck?: string;
  checks: { name: string; status: 'pass' | 'fail'; detail?: string }[];
}

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout(promise: Promise<void>, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${name} check timed out after ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Run every check in order and stop at the first failure, because later
 * checks (migrations, jobs) depend on earlier ones (the database).
 */
export async function evaluateReadiness(
  checks: readonly ReadinessCheck[],
): Promise<ReadinessReport> {
  const results: ReadinessReport['checks'] = [];
  for (const check of checks) {
    try {
      await withTimeout(check.run(), check.name);
      results.push({ name: check.name, status: 'pass' });
    } catch (error) {
      const detail =
        error instanceof ReadinessFailure ? error.message : `${check.name} is unavailable`;
      results.push({ name: check.name, status: 'fail', detail });
      return { ready: false, failedCheck: check.name, checks: results };
    }
  }
  return { ready: true, checks: results };
}

/** A failure whose message may be shown on the readiness endpoint. */
export class ReadinessFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReadinessFailure';
  }
}
