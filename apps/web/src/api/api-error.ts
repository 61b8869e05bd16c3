/** Codes for failures that the browser detects itself, before or instead of a server problem. */
export type ClientErrorCode = 'NETWORK_ERROR' | 'UNEXPECTED_RESPONSE' | 'INVALID_RESPONSE';

/**
 * Failure of one API request. For a server problem (RFC 9457), `code`,
 * `detail` and `requestId` are the server's own, so the page can show what
 * the server said and the id that finds the request in its logs.
 */
export class ApiError extends Error {
  /** HTTP status, or undefined when no response arrived. */
  readonly status: number | undefined;
  /** The server's stable error code, such as INVALID_CREDENTIALS, or a ClientErrorCode. */
  readonly code: string;
  /** Message for the user: the problem's `detail`, or a description of the client-side failure. */
  readonly detail: string;
  /** The server's request id, from the problem body or the x-request-id header. */
  readonly requestId: string | undefined;
  /** Members of the problem document beyond the standard ones, such as `reasonCode`. */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(fields: {
    status: number | undefined;
    code: string;
    detail: string;
    requestId: string | undefined;
    extensions?: Record<string, unknown>;
    cause?: unknown;
  }) {
    super(fields.detail, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'ApiError';
    this.status = fields.status;
    this.code = fields.code;
    this.detail = fields.detail;
    this.requestId = fields.requestId;
    this.extensions = fields.extensions ?? {};
  }

  /** True for a 401, which means the request carried no live session. */
  get isUnauthenticated(): boolean {
    return this.status === 401;
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}
