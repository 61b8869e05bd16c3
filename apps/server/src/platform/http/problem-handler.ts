import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
} from 'fastify-type-provider-zod';
import { isDatabaseUnavailableError } from '../db/connection-errors.ts';
import { KeyProviderError } from '../keys/key-provider-error.ts';
import { KeyFileError } from '../keys/local-signing-key.ts';
import { SealedSecretError } from '../keys/sealed-secret.ts';
import { AppError, isAppError } from './app-error.ts';
import { ERROR_CODES } from './error-codes.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/**
 * Map Fastify's own error codes to ours. Fastify 5 names them in
 * `fastify/lib/errors.js`.
 */
function fromFastifyError(error: FastifyError, request: FastifyRequest): AppError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('BODY_TOO_LARGE', {
        detail: `The request body exceeds the limit of ${request.routeOptions.bodyLimit ?? 0} bytes. Send a smaller body.`,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', {
        detail: `Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')} is not accepted here. Send application/json.`,
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('MALFORMED_BODY', {
        detail: 'The body is empty but Content-Type is application/json. Send a JSON document.',
      });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('MALFORMED_BODY', {
        detail: 'The request body is not valid JSON. Check the syntax and the Content-Length.',
      });
    default:
      break;
  }

  if (error instanceof SyntaxError && error.statusCode === 400) {
    return new AppError('MALFORMED_BODY', {
      detail: 'The request body is not valid JSON. Check the syntax.',
    });
  }
  if (error.statusCode === 429) {
    return new AppError('RATE_LIMITED', {
      detail: 'Too many requests from this client. Wait and retry after the Retry-After interval.',
    });
  }
  return undefined;
}

function toAppError(error: unknown, request: FastifyRequest): AppError {
  if (isAppError(error)) {
    return error;
  }

  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.map((issue) => ({
      location: error.validationContext ?? 'body',
      path: issue.instancePath,
      message: issue.message ?? 'invalid value',
    }));
    const first = errors[0];
    const where = first ? `${first.location}${first.path || ''}` : 'the request';
    return new AppError('VALIDATION_FAILED', {
      detail: `Invalid value at ${where}: ${first?.message ?? 'invalid value'}. Correct the listed fields and retry.`,
      extensions: { errors },
    });
  }

  if (isResponseSerializationError(error)) {
    return new AppError('INTERNAL_ERROR', {
      detail:
        'The server could not complete the request. Retry later, and quote the request id to support.',
      internal: error,
    });
  }

  if (isDatabaseUnavailableError(error)) {
    return new AppError('DATABASE_UNAVAILABLE', {
      detail: 'The database is unavailable. Retry later.',
      internal: error,
      headers: { 'retry-after': '5' },
    });
  }

  if (isTransactionConflict(error)) {
    return new AppError('CONFLICT', {
      detail:
        'A concurrent request changed the same records, so this one was rolled back and changed nothing. Retry it.',
      internal: error,
    });
  }

  if (isKeyError(error)) {
    return new AppError('KEY_PROVIDER_UNAVAILABLE', {
      detail:
        'A key needed for this request could not be opened. Retry later; operators find the cause in the server log under this request id.',
      internal: error,
      headers: { 'retry-after': '30' },
    });
  }

  if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
    const mapped = fromFastifyError(error as FastifyError, request);
    if (mapped) {
      return mapped;
    }
  }

  return new AppError('INTERNAL_ERROR', {
    detail:
      'The server could not complete the request. Retry later, and quote the request id to support.',
    internal: error,
  });
}

/** PostgreSQL's deadlock and serialization failures: the transaction rolled back and may be retried. */
function isTransactionConflict(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && (code === '40P01' || code === '40001');
}

/** Errors of the key providers: a missing or wrong master key, KMS failing, or a sealed value that does not open. */
function isKeyError(error: unknown): boolean {
  return (
    error instanceof KeyProviderError ||
    error instanceof SealedSecretError ||
    error instanceof KeyFileError
  );
}

/** Send one RFC 9457 problem document. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError) {
  // Extensions come first, so none can replace a member RFC 9457 defines
  // (type, title, status, detail, instance) or the code and request id.
  const body = {
    ...error.extensions,
    type: `urn:peytonix:problem:${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: ERROR_CODES[error.code].title,
    status: error.status,
    code: error.code,
    detail: error.detail,
    instance: request.url.split('?')[0],
    requestId: request.id,
  };
  return reply
    .code(error.status)
    .headers(error.headers)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .serializer(JSON.stringify)
    .send(body);
}

/**
 * Install the handlers that turn every error, including unknown routes,
 * into problem+json. A 5xx is logged at error level with its internal
 * detail; a 4xx at info, because it is the client's mistake.
 */
export function registerProblemHandler(app: FastifyInstance) {
  app.setErrorHandler((error: unknown, request, reply) => {
    const problem = toAppError(error, request);
    const cause = problem.internal ?? (isAppError(error) ? undefined : error);
    if (problem.status >= 500) {
      request.log.error(
        { code: problem.code, status: problem.status, err: cause },
        'request failed',
      );
    } else {
      // A client's mistake needs no stack trace, and its message can quote
      // the request body (a JSON parse error does), so only the code is logged.
      request.log.info({ code: problem.code, status: problem.status }, 'request rejected');
    }
    return sendProblem(request, reply, problem);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    return sendProblem(
      request,
      reply,
      new AppError('ROUTE_NOT_FOUND', {
        detail: `No route matches ${request.method} ${path}. Check the path against /api/openapi.json.`,
      }),
    );
  });
}
