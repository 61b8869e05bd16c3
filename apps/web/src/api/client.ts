import type { z } from 'zod';
import { ApiError } from './api-error.ts';
import { currentCsrfToken } from './csrf.ts';
import { readProblem } from './problem.ts';
import { refreshGeneration, refreshSession } from './session-refresh.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const SAFE_METHODS: ReadonlySet<HttpMethod> = new Set(['GET']);
/** Sign-in, refresh and setup routes return 401 for wrong credentials, which a refresh cannot fix. */
const NO_REFRESH_PREFIX = '/api/v1/auth/';

type SessionEndedListener = () => void;
const sessionEndedListeners = new Set<SessionEndedListener>();

/**
 * Call `listener` whenever a request of a browser that had a session fails
 * with 401 and the refresh that followed failed too, so the app can tell
 * the user that the session ended. Returns the function that removes the listener.
 */
export function onSessionEnded(listener: SessionEndedListener): () => void {
  sessionEndedListeners.add(listener);
  return () => sessionEndedListeners.delete(listener);
}

export interface RequestOptions<Schema extends z.ZodType | undefined> {
  method?: HttpMethod;
  /** Sent as JSON. */
  body?: unknown;
  /** Schema that validates a 2xx JSON body. Without it the body is not read and the result is undefined. */
  schema?: Schema;
  signal?: AbortSignal;
}

type ResultOf<Schema> = Schema extends z.ZodType ? z.output<Schema> : undefined;

async function send(
  path: string,
  method: HttpMethod,
  options: RequestOptions<z.ZodType | undefined>,
): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (!SAFE_METHODS.has(method)) {
    const csrfToken = currentCsrfToken();
    if (csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
  }

  try {
    return await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new ApiError({
      status: undefined,
      code: 'NETWORK_ERROR',
      detail: `${method} ${path} failed because the server could not be reached. Check your network connection and that the Peytonix server is running, then retry.`,
      requestId: undefined,
      cause: error,
    });
  }
}

async function readBody(
  method: HttpMethod,
  path: string,
  response: Response,
  schema: z.ZodType,
): Promise<unknown> {
  const requestId = response.headers.get('x-request-id') ?? undefined;
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new ApiError({
      status: response.status,
      code: 'INVALID_RESPONSE',
      detail: `${method} ${path} returned HTTP ${response.status} with a body that is not JSON.`,
      requestId,
      cause: error,
    });
  }

  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : ` at ${issue.path.join('.') || 'the top level'}`;
    throw new ApiError({
      status: response.status,
      code: 'INVALID_RESPONSE',
      detail: `${method} ${path} returned a body that does not match the expected schema${where}: ${issue?.message ?? 'invalid value'}. The web app and the server may be different versions; reload the page.`,
      requestId,
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/**
 * Send one request to the Peytonix API with the session cookies, and the
 * X-CSRF-Token header on unsafe methods, and resolve with the 2xx response
 * unread, for bodies that are not JSON, such as a file download. On a 401
 * outside /api/v1/auth/, when the browser has a session, it refreshes the
 * session once and repeats the request. Rejects with an ApiError for every
 * failure except an abort through `signal`.
 */
export async function apiResponse(
  path: string,
  options: Omit<RequestOptions<undefined>, 'schema'> = {},
): Promise<Response> {
  const method = options.method ?? 'GET';
  const sentAfter = refreshGeneration();
  let response = await send(path, method, options);

  // The CSRF cookie lives as long as the refresh cookie, so without a CSRF
  // token this browser has no session to refresh and never had one to lose.
  const hadSession = currentCsrfToken() !== undefined;
  if (response.status === 401 && hadSession && !path.startsWith(NO_REFRESH_PREFIX)) {
    // A refresh that finished after this request was sent already renewed
    // the cookie, so repeating the request needs no second refresh.
    const renewed = refreshGeneration() !== sentAfter || (await refreshSession());
    if (renewed) {
      response = await send(path, method, options);
    }
    if (response.status === 401) {
      const error = await readProblem(method, path, response);
      for (const listener of sessionEndedListeners) listener();
      throw error;
    }
  }

  if (!response.ok) {
    throw await readProblem(method, path, response);
  }
  return response;
}

/**
 * Send one request as apiResponse does, and validate its JSON body with
 * `schema`. Without a schema the body is not read and the result is undefined.
 */
export async function apiRequest<Schema extends z.ZodType | undefined = undefined>(
  path: string,
  options: RequestOptions<Schema> = {},
): Promise<ResultOf<Schema>> {
  const method = options.method ?? 'GET';
  const response = await apiResponse(path, options);
  if (options.schema === undefined) {
    return undefined as ResultOf<Schema>;
  }
  return (await readBody(method, path, response, options.schema)) as ResultOf<Schema>;
}
