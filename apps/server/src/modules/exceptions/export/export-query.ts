import { entityCodeSchema } from '@peytonix/contracts';
import { z } from 'zod';
import { EXPORT_FORMATS, type ExportFilter } from './export-target.ts';

const quoted = (value: unknown) => JSON.stringify(value) ?? String(value);

/**
 * The choice of an export: a format, and either a run id or an entity code
 * with a test key. The HTTP query and the CLI flags share the names.
 */
export const exceptionExportQuerySchema = z
  .strictObject(
    {
      format: z.enum(EXPORT_FORMATS, {
        error: (issue) =>
          issue.input === undefined
            ? 'missing format, expected csv or xlsx'
            : `invalid format ${quoted(issue.input)}, expected csv or xlsx`,
      }),
      entity: entityCodeSchema.optional(),
      test: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
          error: (issue) =>
            `invalid test key ${quoted(issue.input)}, expected lower-case letters, digits and dashes`,
        })
        .optional(),
      run: z
        .uuid({
          error: (issue) => `invalid run id ${quoted(issue.input)}, expected a UUID`,
        })
        .optional(),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys'
          ? `unknown parameter ${issue.keys.map(quoted).join(', ')}, expected only format, entity, test and run`
          : undefined,
    },
  )
  .superRefine((query, context) => {
    const byTest = query.entity !== undefined || query.test !== undefined;
    if (query.run !== undefined && byTest) {
      context.addIssue({
        code: 'custom',
        path: ['run'],
        message: 'expected either run, or entity and test, not both',
      });
    } else if (
      query.run === undefined &&
      (query.entity === undefined || query.test === undefined)
    ) {
      context.addIssue({
        code: 'custom',
        path: query.entity === undefined ? ['entity'] : ['test'],
        message:
          'missing filter, expected a run id as run, or an entity code as entity and a test key as test',
      });
    }
  });

export type ExceptionExportQuery = z.infer<typeof exceptionExportQuerySchema>;

/** Convert a validated query to the service's filter. */
export function exportFilterOf(query: ExceptionExportQuery): ExportFilter {
  if (query.run !== undefined) return { kind: 'run', runId: query.run };
  return { kind: 'test', entityCode: query.entity ?? '', testKey: query.test ?? '' };
}
