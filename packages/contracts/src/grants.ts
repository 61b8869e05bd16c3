import { z } from 'zod';
import { justificationSchema } from './change-requests.ts';
import { entityCodeSchema } from './entities.ts';

/** The predefined roles; the server's permission catalogue lists what each holds. */
export const ROLE_NAMES = [
  'read_only',
  'preparer',
  'reviewer',
  'management',
  'administrator',
] as const;

export const roleSchema = z.enum(ROLE_NAMES);

const uuid = z.uuid({ error: 'expected a UUID' }).transform((id) => id.toLowerCase());

export const grantSchema = z.object({
  id: z.uuid(),
  userId: z.uuid(),
  role: roleSchema,
  entityId: z.uuid(),
  /** Null for the first administrator's grant and for grants made outside change requests. */
  grantedBy: z.uuid().nullable(),
  changeRequestId: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
});

export const grantListSchema = z.object({ items: z.array(grantSchema) });

/**
 * The signed-in user's own grants and what they allow. A role granted on
 * an entity holds on every entity below it, so a client decides what to
 * offer on an entity from the grants on it and its ancestors.
 */
export const ownAccessSchema = z.object({
  grants: z.array(
    z.object({
      entityId: z.uuid(),
      entityCode: z.string(),
      role: roleSchema,
      /** The permissions this role gives on the entity and below it. */
      permissions: z.array(z.string()),
    }),
  ),
  /** Every permission the user has somewhere; the routes' coarse check uses this set. */
  permissions: z.array(z.string()),
});

export const grantListQuerySchema = z.strictObject({
  userId: uuid.optional(),
  /** Grants on this entity and every entity below it. */
  entityId: uuid.optional(),
});

/** A request to grant a role; the entity is named by id or by code, not both. */
export const grantRequestInputSchema = z
  .strictObject({
    userId: uuid,
    role: roleSchema,
    entityId: uuid.optional(),
    entityCode: entityCodeSchema.optional(),
    justification: justificationSchema,
  })
  .refine((input) => (input.entityId === undefined) !== (input.entityCode === undefined), {
    error: 'expected exactly one of entityId and entityCode',
    path: ['entityId'],
  });

export const revokeRequestInputSchema = z.strictObject({
  justification: justificationSchema,
});

export type Grant = z.infer<typeof grantSchema>;
export type OwnAccess = z.infer<typeof ownAccessSchema>;
export type GrantListQuery = z.infer<typeof grantListQuerySchema>;
export type GrantRequestInput = z.infer<typeof grantRequestInputSchema>;
export type RevokeRequestInput = z.infer<typeof revokeRequestInputSchema>;
