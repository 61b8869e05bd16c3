/**
 * The catalogue of audit actions. Every event's `action` is one of these
 * codes. docs/security/audit-actions.md is generated from this table by
 * `npm run docs:audit`, and a test fails when the two differ.
 *
 * Codes are stable: an export from years ago must still read correctly,
 * so a code is never renamed or reused, only added.
 */
export const AUDIT_CATEGORIES = {
  authentication: 'Authentication and sessions',
  authorization: 'Authorization',
  identity: 'Users and provisioning',
  access: 'Roles and grants',
  entities: 'Entities and engagements',
  configuration: 'Platform configuration',
  datasets: 'Datasets',
  tests: 'Test definitions and runs',
  exceptions: 'Exceptions and sign-offs',
  evidence: 'Evidence',
  ai: 'AI governance',
  audit: 'The audit trail itself',
} as const;

type Category = keyof typeof AUDIT_CATEGORIES;

interface ActionSpec {
  category: Category;
  description: string;
}

export const AUDIT_ACTIONS = {
  'auth.login_succeeded': { category: 'authentication', description: 'A user signed in.' },
  'auth.login_failed': {
    category: 'authentication',
    description:
      'A sign-in failed; reason_code gives the cause (unknown user and wrong password share one code).',
  },
  'auth.account_locked': {
    category: 'authentication',
    description: 'Repeated failures locked an account for a while.',
  },
  'auth.login_throttled': {
    category: 'authentication',
    description:
      'A sign-in was rejected before its password was checked, because the account or client network must wait or is locked; reason_code says which.',
  },
  'auth.password_set': {
    category: 'authentication',
    description: 'A user set their first password with a setup secret.',
  },
  'auth.password_changed': {
    category: 'authentication',
    description: 'A user changed their password; their other sessions were revoked.',
  },
  'auth.password_rehashed': {
    category: 'authentication',
    description:
      'A stored password hash was replaced at sign-in because the argon2id parameters changed.',
  },
  'auth.token_rejected': {
    category: 'authentication',
    description:
      'An access token, refresh token, API token or CSRF token was rejected; reason_code gives the check that failed.',
  },
  'auth.api_token_created': {
    category: 'authentication',
    description: 'A user created a personal API token; details list its permissions and expiry.',
  },
  'auth.api_token_revoked': {
    category: 'authentication',
    description: 'A personal API token was revoked.',
  },
  'auth.mfa_removed': {
    category: 'authentication',
    description: 'A second factor (TOTP or a passkey) was removed from an account.',
  },
  'auth.recovery_codes_generated': {
    category: 'authentication',
    description: 'A new set of recovery codes replaced the previous set.',
  },
  'auth.logout': { category: 'authentication', description: 'A user signed out of one session.' },
  'auth.mfa_enrolled': {
    category: 'authentication',
    description: 'A user enrolled a second factor (TOTP or passkey).',
  },
  'auth.mfa_verified': {
    category: 'authentication',
    description: 'A second factor was verified at sign-in.',
  },
  'auth.mfa_failed': {
    category: 'authentication',
    description: 'A second-factor code or passkey assertion was rejected.',
  },
  'auth.recovery_code_used': {
    category: 'authentication',
    description: 'A single-use recovery code was spent.',
  },
  'auth.token_refreshed': {
    category: 'authentication',
    description: 'A refresh token was exchanged for a new one.',
  },
  'session.refresh_reuse_detected': {
    category: 'authentication',
    description: 'An already-rotated refresh token was presented; its whole family was revoked.',
  },
  'session.revoked': {
    category: 'authentication',
    description: 'A session was revoked by its user (sign out everywhere) or by an administrator.',
  },
  'session.signing_key_rotated': {
    category: 'authentication',
    description:
      'A new access-token signing key was created; tokens of older keys stay valid until they expire.',
  },
  'authorization.denied': {
    category: 'authorization',
    description:
      'An actor was denied an action; details name the permission and reason_code the rule.',
  },
  'entity.list_denied': {
    category: 'authorization',
    description: 'An actor without any grant asked for the entity tree.',
  },
  'entity.create_denied': {
    category: 'authorization',
    description: 'An actor was denied the creation of an entity.',
  },
  'audit.denials_suppressed': {
    category: 'authorization',
    description:
      'Denials past the per-actor rate limit, counted instead of written singly; details give the count and time span.',
  },
  'user.created': { category: 'identity', description: 'A user account was created.' },
  'user.suspended': { category: 'identity', description: 'A user account was suspended.' },
  'user.reactivated': {
    category: 'identity',
    description: 'A suspended user account was reactivated.',
  },
  'user.deprovisioned': {
    category: 'identity',
    description: 'A user account was deprovisioned, by an administrator or SCIM.',
  },
  'identity.setup_secret_issued': {
    category: 'identity',
    description: 'A one-time setup secret was issued to a user.',
  },
  'identity.external_identity_linked': {
    category: 'identity',
    description: 'An SSO or SCIM identity (issuer and subject) was linked to a user.',
  },
  'access.grant_created': {
    category: 'access',
    description: 'A role was granted to a user on an entity.',
  },
  'access.grant_revoked': { category: 'access', description: 'A role grant was revoked.' },
  'access.denied': {
    category: 'authorization',
    description:
      'An actor was refused a permission on a target: outside its scope (answered as not found), without the permission, or a principal that may not act.',
  },
  'access.sod_violation': {
    category: 'authorization',
    description:
      'An action was refused by a separation-of-duties rule; reason_code names the rule.',
  },
  'change_request.created': {
    category: 'configuration',
    description: 'A change request was made, with the hash of its before/after diff.',
  },
  'change_request.approved': {
    category: 'configuration',
    description: 'A second person approved a change request; details carry the approved diff hash.',
  },
  'change_request.applied': {
    category: 'configuration',
    description: 'An approved change request was applied to its target.',
  },
  'change_request.rejected': {
    category: 'configuration',
    description: 'A change request was rejected.',
  },
  'change_request.stale': {
    category: 'configuration',
    description: 'A change request became stale because its target changed after the request.',
  },
  'change_request.expired': {
    category: 'configuration',
    description: 'A pending change request passed its expiry without a decision.',
  },
  'setting.changed': {
    category: 'configuration',
    description: 'A platform setting changed through an applied change request.',
  },
  'entity.created': {
    category: 'entities',
    description: 'An entity was added to the entity tree.',
  },
  'entity.updated': {
    category: 'entities',
    description: 'An entity was renamed or its details changed.',
  },
  'entity.moved': { category: 'entities', description: 'An entity was moved to another parent.' },
  'entity.archived': { category: 'entities', description: 'An entity was archived.' },
  'config.changed': {
    category: 'configuration',
    description: 'A platform setting was changed; details hold the old and new values.',
  },
  'dataset.upload_requested': {
    category: 'datasets',
    description:
      'An upload URL was issued for a dataset file a browser declared; details give the upload id, the file name, size and SHA-256.',
  },
  'dataset.version_imported': {
    category: 'datasets',
    description:
      'A file was imported as a new dataset version; details hold its fingerprints, row count and parse options.',
  },
  'dataset.import_failed': {
    category: 'datasets',
    description:
      'An import was rejected; reason_code gives the cause and details the file, line and column.',
  },
  'dataset.import_denied': {
    category: 'authorization',
    description: 'An actor without an importing role tried to import into an entity.',
  },
  'test_definition.drafted': {
    category: 'tests',
    description: 'A preparer drafted a new test-definition version.',
  },
  'test_definition.submitted': {
    category: 'tests',
    description: 'A test-definition version was submitted for approval.',
  },
  'test_definition.approved': {
    category: 'tests',
    description: 'A reviewer approved a test-definition version.',
  },
  'test_definition.rejected': {
    category: 'tests',
    description: 'A reviewer rejected a test-definition version.',
  },
  'test_definition.activated': {
    category: 'tests',
    description: 'An approved version became the active one.',
  },
  'test_definition.superseded': {
    category: 'tests',
    description:
      'An active version stopped being active, because another version of the test was activated; details name that version and the change request.',
  },
  'run.queued': {
    category: 'tests',
    description:
      'A run was requested; details give the test, run number, whether it is a preview and what it re-performs.',
  },
  'run.started': {
    category: 'tests',
    description: 'A test run started; details hold the query and input fingerprints.',
  },
  'run.completed': {
    category: 'tests',
    description: 'A test run finished; details hold the result hash and exception count.',
  },
  'run.failed': {
    category: 'tests',
    description: 'A test run failed; reason_code gives the cause.',
  },
  'run.cancelled': {
    category: 'tests',
    description:
      'A user cancelled a queued or running run, which then recorded no result; details give the status it had and who requested it.',
  },
  'run.schedule_skipped': {
    category: 'tests',
    description:
      "A test's schedule fired but no run was queued, because the test's owner could not run it or the request was rejected; reason_code gives the cause and details the fire time.",
  },
  'exception.assigned': {
    category: 'exceptions',
    description: 'An exception was assigned or reassigned.',
  },
  'exception.disposition_proposed': {
    category: 'exceptions',
    description: 'A preparer proposed a disposition with a rationale.',
  },
  'exception.disposition_approved': {
    category: 'exceptions',
    description:
      'A reviewer approved a disposition. The exception closed, unless it is a risk acceptance, which then waits for management.',
  },
  'exception.disposition_returned': {
    category: 'exceptions',
    description: 'A reviewer returned a disposition with a comment.',
  },
  'exception.reopened': {
    category: 'exceptions',
    description:
      'An exception closed as remediated, or closed by a run, reopened because a later run flagged its key again; details name the run.',
  },
  'exception.risk_accepted': {
    category: 'exceptions',
    description:
      'Management approved a risk acceptance that a reviewer had approved, and the exception closed.',
  },
  'exception.risk_declined': {
    category: 'exceptions',
    description:
      'Management declined a risk acceptance with a comment, and the exception went back to its preparer.',
  },
  'exception.commented': {
    category: 'exceptions',
    description: 'Someone commented on an exception, or edited a comment into a new version.',
  },
  'exception.retest_requested': {
    category: 'exceptions',
    description: 'A preparer requested a run of the test to recheck remediated exceptions.',
  },
  'signoff.withdrawn': {
    category: 'exceptions',
    description:
      'A reviewer withdrew the sign-offs of an item, with a reason, so that it can change and be signed again.',
  },
  'signoff.signed': {
    category: 'exceptions',
    description: 'A preparer or reviewer signed off an item; details hold the signed hash.',
  },
  'signoff.stale': {
    category: 'exceptions',
    description: 'A change to a signed-off item made its sign-off stale.',
  },
  'exceptions.exported': {
    category: 'exceptions',
    description:
      "Someone exported a test's or a run's exceptions as CSV or XLSX. Details give the format, the test or run, and the rows written. Outcome failure means the file broke off, and reason_code gives the cause.",
  },
  'evidence.upload_requested': {
    category: 'evidence',
    description: 'An upload URL was issued for a declared evidence file.',
  },
  'evidence.uploaded': {
    category: 'evidence',
    description:
      'An uploaded file matched its declared size, SHA-256 and type, scanned clean, and became available.',
  },
  'evidence.rejected': {
    category: 'evidence',
    description:
      'An uploaded file did not match its declared size, SHA-256 or content type, and its object was deleted; reason_code gives the cause.',
  },
  'evidence.quarantined': {
    category: 'evidence',
    description:
      'The malware scanner matched a signature in an uploaded file. The file is kept for investigation and can never be downloaded; details name the signature.',
  },
  'evidence.scan_pending': {
    category: 'evidence',
    description:
      'The malware scanner gave no clean or infected verdict (unreachable, timed out, a limit exceeded), so the file stays undownloadable until a later scan; details give the scan error and the next attempt.',
  },
  'evidence.date_changed': {
    category: 'evidence',
    description:
      'Someone changed the evidence date of a version; details hold the old and new period.',
  },
  'evidence.downloaded': {
    category: 'evidence',
    description:
      'A short-lived download URL was issued for an available evidence version. Outcome failure means the download was refused, and reason_code gives the cause.',
  },
  'evidence.viewed': {
    category: 'evidence',
    description:
      'A short-lived URL to view an evidence version in the browser was issued. Outcome failure means viewing was refused, and reason_code gives the cause.',
  },
  'ai.model_invoked': {
    category: 'ai',
    description:
      'An AI feature called a provider; details name the provider and model, never the credentials.',
  },
  'ai.proposal_created': {
    category: 'ai',
    description: 'The ai principal created a change request on behalf of a user.',
  },
  'ai.proposal_approved': { category: 'ai', description: 'A human approved an AI proposal.' },
  'ai.proposal_rejected': { category: 'ai', description: 'A human rejected an AI proposal.' },
  'ai.proposal_applied': { category: 'ai', description: 'An approved AI proposal was applied.' },
  'audit.events_searched': {
    category: 'audit',
    description: 'Someone searched the audit trail; details hold the filters.',
  },
  'audit.proof_requested': {
    category: 'audit',
    description: 'Someone requested an inclusion or consistency proof.',
  },
  'audit.exported': {
    category: 'audit',
    description:
      'The audit trail was exported to a file, or downloaded as a signed export; a download that broke off has outcome failure.',
  },
} as const satisfies Record<string, ActionSpec>;

export type AuditAction = keyof typeof AUDIT_ACTIONS;
