import { problemSchema } from '@peytonix/contracts';
import { ApiError } from './api-error.ts';

const PROBLEM_MEDIA_TYPE = 'application/problem+json';
const STANDARD_MEMBERS = new Set([
  'type',
  'title',
  'status',
  'code',
  'detail',
  'instance',
  'requestId',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

/**
 * Convert a non-2xx response into an ApiError. A problem+json body gives
 * the server's code, detail and request id; any other body gives
 * UNEXPECTED_RESPONSE with the request id from the x-request-id header.
 */
export async function readProblem(
  method: string,
  path: string,
  response: Response,
): Promise<ApiError> {
  const headerRequestId = response.headers.get('x-request-id') ?? undefined;
  const contentType = response.headers.get('content-type') ?? '';

  if (contentType.startsWith(PROBLEM_MEDIA_TYPE)) {
    const body = await readJson(response);
    // The response's own status replaces the body's `status` member, so
    // a problem whose member is missing or wrong still shows its message.
    const problem = problemSchema.safeParse(
      isRecord(body) ? { ...body, status: response.status } : body,
    );
    if (problem.success && isRecord(body)) {
      const extensions = Object.fromEntries(
        Object.entries(body).filter(([name]) => !STANDARD_MEMBERS.has(name)),
      );
      return new ApiError({
        status: response.status,
        code: problem.data.code,
        detail: problem.data.detail,
        requestId: problem.data.requestId,
        extensions,
      });
    }
  }

  return new ApiError({
    status: response.status,
    code: 'UNEXPECTED_RESPONSE',
    detail: `${method} ${path} failed with HTTP ${response.status} and no problem details. Check that the Peytonix server is running and reachable, then retry.`,
    requestId: headerRequestId,
  });
}
