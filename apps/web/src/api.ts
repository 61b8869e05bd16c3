const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** Failure of one API request, in the form the page shows it. */
export type ApiError =
  | {
      /** Error described by an RFC 9457 problem document from the server. */
      kind: 'problem';
      status: number;
      code: string;
      detail: string;
      requestId: string | undefined;
      /** Name of the failed check, which GET /health/ready sends when the server is not ready. */
      failedCheck: string | undefined;
    }
  | { kind: 'network'; detail: string }
  | { kind: 'unexpected-response'; status: number; detail: string };

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

async function readJsonBody(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

/** Converts a non-2xx response into an ApiError, using its problem document when it has one. */
async function readProblem(path: string, response: Response): Promise<ApiError> {
  const unexpected: ApiError = {
    kind: 'unexpected-response',
    status: response.status,
    detail: `GET ${path} failed with HTTP ${response.status} and no problem details. Check that the Peytonix server is running and reachable.`,
  };

  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.startsWith(PROBLEM_MEDIA_TYPE)) {
    return unexpected;
  }

  const body = await readJsonBody(response);
  if (!isRecord(body)) {
    return unexpected;
  }
  const code = readString(body, 'code');
  const detail = readString(body, 'detail');
  if (code === undefined || detail === undefined) {
    return unexpected;
  }

  return {
    kind: 'problem',
    status: response.status,
    code,
    detail,
    requestId: readString(body, 'requestId'),
    failedCheck: readString(body, 'failedCheck'),
  };
}

/**
 * Sends GET `path` and converts a 2xx JSON body with `parse`, which returns
 * undefined when the body does not have the expected shape.
 * Resolves with an ApiError for every failure, and rejects only after `signal` aborts.
 */
export async function getJson<T>(
  path: string,
  parse: (body: unknown) => T | undefined,
  signal: AbortSignal,
): Promise<ApiResult<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      headers: { accept: `application/json, ${PROBLEM_MEDIA_TYPE}` },
      signal,
    });
  } catch (error) {
    if (signal.aborted) {
      throw error;
    }
    return {
      ok: false,
      error: {
        kind: 'network',
        detail: `GET ${path} failed because the server could not be reached. Check that the Peytonix server is running, then check again.`,
      },
    };
  }

  if (!response.ok) {
    return { ok: false, error: await readProblem(path, response) };
  }

  const value = parse(await readJsonBody(response));
  if (value === undefined) {
    return {
      ok: false,
      error: {
        kind: 'unexpected-response',
        status: response.status,
        detail: `GET ${path} returned HTTP ${response.status} with a body that is not the expected JSON.`,
      },
    };
  }
  return { ok: true, value };
}
