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
}

export interface AuditChainHeadTable {
  singleton: boolean;
  last_seq: ColumnType<string, string, string>;
  last_hash: Buffer;
}

export interface AuditEventsTable {
  seq: ColumnType<string, string | number, never>;
  occurred_at: ColumnType<Date, never, never>;
  actor_type: 'user' | 'system' | 'scim' | 'ai';
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
  actor_type: 'user' | 'system' | 'scim' | 'ai';
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

export interface PeytonixMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: Timestamp;
  applied_by: string;
}

export interface Database {
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
  wrapped_keys: WrappedKeysTable;
  peytonix_migrations: PeytonixMigrationsTable;
}
