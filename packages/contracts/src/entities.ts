import { z } from 'zod';
import { justificationSchema } from './change-requests.ts';
import { rejectForbiddenCharacters } from './text.ts';

export const ENTITY_TYPES = ['organization', 'business_unit', 'subsidiary', 'engagement'] as const;

export const entityTypeSchema = z.enum(ENTITY_TYPES);

/** Same rule as the CHECK constraint on entities.code. */
export const entityCodeSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
  error:
    'expected 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit',
});

export const entityNameSchema = z
  .string()
  .trim()
  .min(1, { error: 'expected a name' })
  .max(200, { error: 'expected at most 200 characters' })
  .superRefine(rejectForbiddenCharacters(false));

/** Input for a new entity below an existing one; the root comes from `admin create`. */
export const createEntityInputSchema = z.strictObject({
  parentCode: entityCodeSchema,
  type: z.enum(['business_unit', 'subsidiary', 'engagement']),
  code: entityCodeSchema,
  name: entityNameSchema,
});

export const entitySchema = z.object({
  id: z.uuid(),
  parentId: z.uuid().nullable(),
  type: entityTypeSchema,
  code: z.string(),
  name: z.string(),
  status: z.enum(['active', 'archived']),
  createdAt: z.iso.datetime({ offset: true }),
});

/** Depth counts the steps below the organization root, which has depth 0. */
export const entityListSchema = z.object({
  items: z.array(entitySchema.extend({ depth: z.number().int() })),
});

export const renameEntityInputSchema = z.strictObject({ name: entityNameSchema });

/** A request to move an entity below another parent, named by id or by code, not both. */
export const entityMoveRequestInputSchema = z
  .strictObject({
    newParentId: z
      .uuid({ error: 'expected a UUID' })
      .transform((id) => id.toLowerCase())
      .optional(),
    newParentCode: entityCodeSchema.optional(),
    justification: justificationSchema,
  })
  .refine((input) => (input.newParentId === undefined) !== (input.newParentCode === undefined), {
    error: 'expected exactly one of newParentId and newParentCode',
    path: ['newParentId'],
  });

export type CreateEntityInput = z.infer<typeof createEntityInputSchema>;
export type Entity = z.infer<typeof entitySchema>;
export type RenameEntityInput = z.infer<typeof renameEntityInputSchema>;
export type EntityMoveRequestInput = z.infer<typeof entityMoveRequestInputSchema>;
