import type { ColumnType, Generated } from 'kysely';

/** Kysely row types, one interface per table; they mirror the SQL migrations. */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface EntitiesTable {
  id: Generated<string>;
  parent_id: string | null;
  type: 'organization' | 'business_unit' | 'subsidiary' | 'engagement';
  code: string;
  name: string;
  status: Generated<'active' | 'archived'>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface EntityClosureTable {
  ancestor_id: string;
  descendant_id: string;
  depth: number;
}

export interface UsersTable {
  id: Generated<string>;
  email: string;
  display_name: string;
  status: Generated<'active' | 'suspended' | 'deprovisioned'>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  last_login_at: Timestamp | null;
  grants_version: ColumnType<string, never, never>;
}

export interface UserExternalIdentitiesTable {
  issuer: string;
  subject: string;
  user_id: string;
  source: 'oidc' | 'saml' | 'scim';
  created_at: Generated<Date>;
}

export interface UserSetupSecretsTable {
  id: Generated<string>;
  user_id: string;
  secret_sha256: Buffer;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface RoleGrantsTable {
  id: Generated<string>;
  user_id: string;
  role: 'read_only' | 'preparer' | 'reviewer' | 'management' | 'administrator';
  entity_id: string;
  granted_by: string | null;
  created_at: Generated<Date>;
  change_request_id: ColumnType<string | null, string | null | undefined, never>;
}

export interface AuditChainHeadTable {
  singleton: boolean;
  last_seq: ColumnType<string, string, string>;
  last_hash: Buffer;
}

export interface AuditEventsTable {
  seq: ColumnType<string, string | number, never>;
  occurred_at: ColumnType<Date, never, never>;
  actor_type: 'user' | 'system' | 'scim' | 'ai' | 'anonymous';
  actor_id: string | null;
  on_behalf_of: string | null;
  channel: 'api' | 'cli' | 'worker' | 'scim' | 'sso';
  action: string;
  outcome: 'success' | 'denied' | 'failure';
  reason_code: string | null;
  target_type: string | null;
  target_id: string | null;
  entity_id: string | null;
  request_id: string | null;
  correlation_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  details: ColumnType<Record<string, unknown>, string, never>;
  details_jcs: ColumnType<string, never, never>;
  prev_hash: ColumnType<Buffer, never, never>;
  hash: ColumnType<Buffer, never, never>;
}

export interface WrappedKeysTable {
  name: string;
  algorithm: 'Ed25519';
  provider: 'kms';
  wrapping_key_id: string;
  ciphertext: Buffer;
  public_key_pem: string;
  created_at: Generated<Date>;
}

export interface AuditPendingTable {
  id: Generated<string>;
  occurred_at: Generated<Date>;
  actor_type: 'user' | 'system' | 'scim' | 'ai' | 'anonymous';
  actor_id: string | null;
  on_behalf_of: string | null;
  channel: string;
  action: string;
  outcome: 'success' | 'denied' | 'failure';
  reason_code: string | null;
  target_type: string | null;
  target_id: string | null;
  entity_id: string | null;
  request_id: string | null;
  correlation_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  details_jcs: string;
}

export interface AuditCheckpointsTable {
  tree_size: ColumnType<string, string | number, never>;
  root_hash: Buffer;
  signed_at: Date;
  key_id: string;
  signature: Buffer;
  frontier: Buffer[];
}

export interface AuditVerificationsTable {
  id: ColumnType<string, never, never>;
  recorded_at: ColumnType<Date, never, never>;
  started_at: Date;
  duration_ms: number;
  tree_size: ColumnType<string, string | number, never>;
  checkpoints: number;
  outcome: 'intact' | 'damaged' | 'failed';
  damage_seq: ColumnType<string | null, string | number | null, never>;
  damage_kind: string | null;
  instance: string;
}

export interface PasswordCredentialsTable {
  user_id: string;
  password_hash: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface TotpCredentialsTable {
  user_id: string;
  secret_sealed: Buffer;
  confirmed_at: Timestamp | null;
  last_used_step: ColumnType<string | null, string | number | null, string | number | null>;
  created_at: Generated<Date>;
}

export interface RecoveryCodesTable {
  id: Generated<string>;
  user_id: string;
  code_sha256: Buffer;
  created_at: Generated<Date>;
  used_at: Timestamp | null;
}

export interface PasskeyCredentialsTable {
  credential_id: string;
  user_id: string;
  public_key: Buffer;
  sign_count: ColumnType<string, string | number, string | number>;
  transports: string[];
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
  name: string;
  created_at: Generated<Date>;
  last_used_at: Timestamp | null;
}

export interface WebauthnChallengesTable {
  id: Generated<string>;
  user_id: string;
  purpose: 'registration' | 'authentication';
  challenge: string;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface MfaChallengesTable {
  id: Generated<string>;
  user_id: string;
  token_sha256: Buffer;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  failed_attempts: Generated<number>;
  completed_at: Timestamp | null;
}

export type AuthMethod = 'password' | 'totp' | 'passkey' | 'recovery_code';

export type SessionRevokedReason =
  | 'logout'
  | 'sign_out_everywhere'
  | 'administrator'
  | 'refresh_reuse'
  | 'password_changed'
  | 'mfa_removed'
  | 'user_suspended'
  | 'user_deprovisioned';

export interface SessionsTable {
  id: Generated<string>;
  user_id: string;
  assurance: 'full' | 'enrolment_only';
  auth_methods: AuthMethod[];
  csrf_sha256: Buffer;
  created_at: Generated<Date>;
  expires_at: Timestamp;
  last_seen_at: Generated<Date>;
  ip_address: string | null;
  user_agent: string | null;
  revoked_at: Timestamp | null;
  revoked_reason: SessionRevokedReason | null;
}

export interface RefreshTokensTable {
  token_sha256: Buffer;
  session_id: string;
  created_at: Generated<Date>;
  rotated_at: Timestamp | null;
}

export interface ApiTokensTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  token_sha256: Buffer;
  permissions: string[];
  created_at: Generated<Date>;
  expires_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface LoginThrottlesTable {
  scope: 'account' | 'network';
  key: string;
  failures: number;
  last_attempt_at: Timestamp;
  locked_until: Timestamp | null;
}

export interface SessionSigningKeysTable {
  kid: string;
  algorithm: 'EdDSA';
  public_key_pem: string;
  private_key_sealed: Buffer;
  created_at: Generated<Date>;
}

export interface DatasetsTable {
  id: Generated<string>;
  entity_id: string;
  name: string;
  description: Generated<string>;
  created_by: string;
  created_at: Generated<Date>;
  latest_version: Generated<number>;
}

export type DatasetFormat = 'csv' | 'tsv' | 'parquet' | 'jsonl' | 'xlsx';

export interface DatasetColumn {
  name: string;
  type: string;
  nullable: boolean;
  sourceName: string;
}

export interface DatasetVersionsTable {
  id: Generated<string>;
  dataset_id: string;
  version: number;
  source_file_name: string;
  source_format: DatasetFormat;
  parse_options: ColumnType<Record<string, unknown>, string, never>;
  raw_object_key: string;
  raw_sha256: Buffer;
  raw_size: ColumnType<string, string | number, never>;
  parquet_object_key: string;
  parquet_sha256: Buffer;
  parquet_size: ColumnType<string, string | number, never>;
  columns: ColumnType<DatasetColumn[], string, never>;
  row_count: ColumnType<string, string | number, never>;
  created_by: string;
  created_at: Generated<Date>;
  import_warnings: ColumnType<string[], string | undefined, never>;
}

export type TestVersionState =
  | 'draft'
  | 'submitted'
  | 'approved'
  | 'rejected'
  | 'active'
  | 'superseded';
export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled';

type Json = ColumnType<unknown, string, string>;

export interface TestDefinitionsTable {
  id: Generated<string>;
  entity_id: string;
  key: string;
  template_key: string | null;
  owner_id: string;
  created_at: Generated<Date>;
  latest_version: Generated<number>;
  latest_run_number: Generated<number>;
}

export interface TestVersionsTable {
  id: Generated<string>;
  test_id: string;
  version: number;
  state: TestVersionState;
  name: string;
  description: Generated<string>;
  control_reference: string | null;
  severity: Severity;
  sql: string;
  summary_sql: string | null;
  inputs: Json;
  parameters: Json;
  key_columns: string[];
  schedule: string | null;
  /** Input name → { dataset, version?, fields? }; {} when the version binds no input. */
  bindings: ColumnType<unknown, string | undefined, never>;
  created_by: string;
  created_at: Generated<Date>;
  submitted_by: string | null;
  submitted_at: Timestamp | null;
  decided_by: string | null;
  decided_at: Timestamp | null;
  decision_note: string | null;
}

export interface RunsTable {
  id: Generated<string>;
  test_id: string;
  test_version_id: string;
  preview: boolean;
  run_number: number | null;
  status: RunStatus;
  requested_by: string;
  requested_via: 'api' | 'cli' | 'schedule' | 'reperform';
  reperforms_run_id: string | null;
  requested_at: Generated<Date>;
  started_at: Timestamp | null;
  heartbeat_at: Timestamp | null;
  finished_at: Timestamp | null;
  sql_executed: string;
  summary_sql_executed: string | null;
  parameters: Json;
  inputs: Json;
  key_columns: string[];
  duckdb_version: string | null;
  input_row_counts: Json | null;
  exception_count: ColumnType<string | null, string | number | null, string | number | null>;
  result_hash: Buffer | null;
  summary: Json | null;
  error_code: string | null;
  error_message: string | null;
  /** The user who cancelled the run; set only on cancelled runs. */
  cancelled_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export const EXCEPTION_STATUSES = ['open', 'in_progress', 'proposed', 'closed'] as const;
export type ExceptionStatus = (typeof EXCEPTION_STATUSES)[number];

export const DISPOSITIONS = [
  'false_positive',
  'control_deficiency',
  'remediated',
  'risk_accepted',
  'duplicate',
] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export interface ExceptionsTable {
  id: Generated<string>;
  test_id: string;
  entity_id: string;
  key_hash: Buffer;
  key_values: Json;
  status: ExceptionStatus;
  payload: Json;
  first_run_id: string;
  last_run_id: string;
  closed_run_id: string | null;
  closed_reason: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  severity: Severity;
  /** pg reads a date as a Date at local midnight; select it with to_char for the calendar date. */
  due_on: ColumnType<Date | null, string | null | undefined, string | null>;
  assignee_id: ColumnType<string | null, string | null | undefined, string | null>;
  disposition: ColumnType<Disposition | null, Disposition | null | undefined, Disposition | null>;
  rationale: ColumnType<string | null, string | null | undefined, string | null>;
  duplicate_of: ColumnType<string | null, string | null | undefined, string | null>;
  proposed_by: ColumnType<string | null, string | null | undefined, string | null>;
  proposed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  reviewed_by: ColumnType<string | null, string | null | undefined, string | null>;
  reviewed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  risk_accepted_by: ColumnType<string | null, string | null | undefined, string | null>;
  risk_accepted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  closed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  reopened_run_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Adds 1 on every update (trigger); clients send it back to detect a concurrent change. */
  revision: Generated<number>;
}

export type ExceptionEventAction =
  | 'assigned'
  | 'proposed'
  | 'approved'
  | 'risk_accepted'
  | 'returned'
  | 'closed_by_run'
  | 'reopened'
  | 'retest_requested';

export interface ExceptionEventsTable {
  id: Generated<string>;
  exception_id: string;
  entity_id: string;
  action: ExceptionEventAction;
  from_status: ExceptionStatus;
  to_status: ExceptionStatus;
  /** Null for steps the platform takes itself, such as a run reopening an exception. */
  actor_id: string | null;
  assignee_id: string | null;
  disposition: Disposition | null;
  rationale: string | null;
  comment: string | null;
  run_id: string | null;
  created_at: Generated<Date>;
}

export interface ExceptionCommentsTable {
  id: Generated<string>;
  exception_id: string;
  entity_id: string;
  /** The id of the thread's first version. */
  thread_id: string;
  version: number;
  body: string;
  author_id: string;
  created_at: Generated<Date>;
}

export interface ExceptionRetestsTable {
  exception_id: string;
  run_id: string;
  entity_id: string;
  requested_by: string;
  requested_at: Generated<Date>;
}

export type SignOffTargetType = 'run' | 'engagement';
export type SignOffLevel = 'preparer' | 'reviewer';

export interface SignOffsTable {
  id: Generated<string>;
  entity_id: string;
  target_type: SignOffTargetType;
  target_id: string;
  level: SignOffLevel;
  signed_by: string;
  signed_at: Generated<Date>;
  content_sha256: Buffer;
  confirms_id: string | null;
  withdrawn_by: string | null;
  withdrawn_at: Timestamp | null;
  withdrawal_reason: string | null;
}

export interface DatasetUploadsTable {
  id: ColumnType<string, string | undefined, never>;
  entity_id: string;
  dataset_name: string;
  file_name: string;
  /** bigint, read as a decimal string. */
  declared_size: ColumnType<string, string | number, never>;
  declared_sha256: Buffer;
  object_key: string;
  declared_by: string;
  declared_at: Generated<Date>;
  upload_expires_at: ColumnType<Date, Date | string, never>;
  imported_version_id: string | null;
  imported_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export type EvidenceSubjectType = 'exception' | 'run' | 'test' | 'engagement';

export type EvidenceState =
  | 'pending_upload'
  | 'scan_pending'
  | 'available'
  | 'quarantined'
  | 'rejected';

export interface EvidenceTable {
  id: Generated<string>;
  entity_id: string;
  subject_type: EvidenceSubjectType;
  subject_id: string;
  title: string;
  created_by: string;
  created_at: Generated<Date>;
}

export interface EvidenceVersionsTable {
  id: Generated<string>;
  evidence_id: string;
  entity_id: string;
  version: number;
  file_name: string;
  content_type: string;
  /** bigint, read as a decimal string. */
  declared_size: ColumnType<string, string | number, never>;
  declared_sha256: Buffer;
  object_key: string;
  declared_by: string;
  declared_at: Generated<Date>;
  upload_expires_at: Timestamp;
  evidence_date_start: ColumnType<Date | null, string | null | undefined, string | null>;
  evidence_date_end: ColumnType<Date | null, string | null | undefined, string | null>;
  state: ColumnType<EvidenceState, EvidenceState | undefined, never>;
  uploaded_at: ColumnType<Date | null, never, never>;
  object_version_id: ColumnType<string | null, never, never>;
  object_etag: ColumnType<string | null, never, never>;
  scanned_at: ColumnType<Date | null, never, never>;
  scan_signature: ColumnType<string | null, never, never>;
  scan_error: ColumnType<string | null, never, never>;
  scan_attempts: ColumnType<number, never, never>;
  next_scan_at: ColumnType<Date | null, never, never>;
  rejection_reason: ColumnType<string | null, never, never>;
  check_token: ColumnType<string | null, string | null | undefined, string | null>;
  check_started_at: ColumnType<Date | null, string | null | undefined, Date | string | null>;
}

export interface RunExceptionsTable {
  run_id: string;
  exception_id: string;
  occurrence: 'new' | 'recurring' | 'reopened';
  payload: Json;
}

export interface PreviewRowsTable {
  run_id: string;
  row_number: number;
  payload: Json;
}

export interface PeytonixMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: Timestamp;
  applied_by: string;
}

export type ChangeRequestStatus =
  | 'pending'
  | 'approved'
  | 'applied'
  | 'rejected'
  | 'stale'
  | 'expired';

export interface ChangeRequestsTable {
  id: Generated<string>;
  kind: string;
  entity_id: string;
  target_type: string;
  target_key: string;
  before_state: ColumnType<unknown, string, never>;
  after_state: ColumnType<unknown, string, never>;
  diff_sha256: Buffer;
  justification: string;
  status: ColumnType<ChangeRequestStatus, ChangeRequestStatus | undefined, ChangeRequestStatus>;
  requested_by: string;
  requested_by_type: 'user' | 'ai';
  requested_at: Generated<Date>;
  expires_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_note: string | null;
  approved_diff_sha256: Buffer | null;
  applied_at: Date | null;
}

export interface PlatformSettingsTable {
  key: string;
  value: ColumnType<unknown, string, string>;
  version: ColumnType<string, string | number | undefined, string | number>;
  change_request_id: string | null;
  updated_at: Generated<Date>;
}

export interface Database {
  change_requests: ChangeRequestsTable;
  platform_settings: PlatformSettingsTable;
  entities: EntitiesTable;
  entity_closure: EntityClosureTable;
  users: UsersTable;
  user_external_identities: UserExternalIdentitiesTable;
  user_setup_secrets: UserSetupSecretsTable;
  role_grants: RoleGrantsTable;
  audit_chain_head: AuditChainHeadTable;
  audit_events: AuditEventsTable;
  audit_checkpoints: AuditCheckpointsTable;
  audit_pending: AuditPendingTable;
  audit_verifications: AuditVerificationsTable;
  wrapped_keys: WrappedKeysTable;
  password_credentials: PasswordCredentialsTable;
  totp_credentials: TotpCredentialsTable;
  recovery_codes: RecoveryCodesTable;
  passkey_credentials: PasskeyCredentialsTable;
  webauthn_challenges: WebauthnChallengesTable;
  mfa_challenges: MfaChallengesTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  api_tokens: ApiTokensTable;
  login_throttles: LoginThrottlesTable;
  session_signing_keys: SessionSigningKeysTable;
  datasets: DatasetsTable;
  dataset_versions: DatasetVersionsTable;
  test_definitions: TestDefinitionsTable;
  test_versions: TestVersionsTable;
  runs: RunsTable;
  exceptions: ExceptionsTable;
  run_exceptions: RunExceptionsTable;
  preview_rows: PreviewRowsTable;
  exception_events: ExceptionEventsTable;
  exception_comments: ExceptionCommentsTable;
  exception_retests: ExceptionRetestsTable;
  sign_offs: SignOffsTable;
  dataset_uploads: DatasetUploadsTable;
  evidence: EvidenceTable;
  evidence_versions: EvidenceVersionsTable;
  peytonix_migrations: PeytonixMigrationsTable;
}
