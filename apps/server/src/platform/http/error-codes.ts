/**
 * The catalogue of stable error codes. Clients and tests match on `code`;
 * the wording of `detail` may change between releases.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, title: 'Request validation failed' },
  MALFORMED_BODY: { status: 400, title: 'Malformed request body' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  INVALID_CREDENTIALS: { status: 401, title: 'Sign-in failed' },
  MFA_ENROLMENT_REQUIRED: { status: 403, title: 'Second factor enrolment required' },
  CSRF_REJECTED: { status: 403, title: 'Cross-site request rejected' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  SOD_PREPARER_CANNOT_REVIEW: { status: 403, title: 'Preparer cannot review own work' },
  SOD_AUTHOR_CANNOT_APPROVE: { status: 403, title: 'Author cannot approve own change' },
  SOD_OWN_GRANTS: { status: 403, title: 'Own grants cannot be changed' },
  SOD_GRANT_BEYOND_OWN: { status: 403, title: 'Grant exceeds own access' },
  SOD_PRINCIPAL_CANNOT_APPROVE: { status: 403, title: 'Principal cannot approve' },
  SOD_PROPOSER_CANNOT_APPROVE: { status: 403, title: 'Proposer cannot approve own disposition' },
  SOD_RISK_APPROVER_DISTINCT: { status: 403, title: 'Risk acceptance needs a second approver' },
  ROUTE_NOT_FOUND: { status: 404, title: 'Route not found' },
  RESOURCE_NOT_FOUND: { status: 404, title: 'Resource not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  CONFLICT: { status: 409, title: 'Conflict' },
  SIGNED_OFF: { status: 409, title: 'Item is signed off' },
  CHANGE_REQUEST_STALE: { status: 409, title: 'Change request is stale' },
  CHANGE_REQUEST_CLOSED: { status: 409, title: 'Change request is closed' },
  CHANGE_REQUEST_DIFF_MISMATCH: { status: 409, title: 'Approved diff does not match' },
  BODY_TOO_LARGE: { status: 413, title: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  BUSINESS_RULE_VIOLATED: { status: 422, title: 'Business rule violated' },
  WEAK_PASSWORD: { status: 422, title: 'Password rejected' },
  IMPORT_REJECTED: { status: 422, title: 'Import rejected' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  LOGIN_THROTTLED: { status: 429, title: 'Too many sign-in attempts' },
  INTERNAL_ERROR: { status: 500, title: 'Internal server error' },
  DATABASE_UNAVAILABLE: { status: 503, title: 'Database unavailable' },
  SCHEMA_NOT_CURRENT: { status: 503, title: 'Database schema not current' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  AUDIT_TRAIL_UNAVAILABLE: { status: 503, title: 'Audit trail unavailable' },
  KEY_PROVIDER_UNAVAILABLE: { status: 503, title: 'Key provider unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
