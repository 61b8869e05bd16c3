import { testDefinitionFileSchema as sharedDefinitionFileSchema } from '@peytonix/contracts';
import type { z } from 'zod';
import { cronExpressionProblem } from '../../platform/scheduling/cron-expression.ts';

export type { InputBinding, InputBindings, TestDefinitionFile } from '@peytonix/contracts';

/**
 * A test definition as teams keep it in version control, in YAML or JSON.
 * `peytonix tests import` turns one into a draft version of the test with
 * this key; `peytonix tests export` writes a version back in this form.
 *
 * The shared schema in @peytonix/contracts, which the browser's editor also
 * uses, checks the shape, the bindings and what a schedule needs. This one
 * adds the cron check, which the browser cannot run. The service checks the
 * SQL with DuckDB's parser afterwards.
 */
export const testDefinitionFileSchema = sharedDefinitionFileSchema.superRefine(
  (file, context: z.RefinementCtx) => {
    if (file.schedule === undefined) return;

    const problem = cronExpressionProblem(file.schedule);
    if (problem !== null)
      context.addIssue({ code: 'custom', path: ['schedule'], message: problem });
  },
);
