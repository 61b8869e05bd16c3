/**
 * The catalogue of audit actions. Every event's `action` is one of these;
 * docs/security/audit-actions.md lists them with their meaning.
 */
export const AUDIT_ACTIONS = {
  'user.created': 'A user account was created.',
  'identity.setup_secret_issued': 'A one-time setup secret was issued to a user.',
  'access.grant_created': 'A role was granted to a user on an entity.',
  'entity.created': 'An entity was added to the entity tree.',
  'entity.list_denied': 'An actor without any grant asked for the entity tree.',
  'entity.create_denied': 'An actor was refused the creation of an entity.',
} as const;

export type AuditAction = keyof typeof AUDIT_ACTIONS;
