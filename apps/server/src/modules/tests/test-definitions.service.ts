import {
  type ChangeRequest,
  type TestActivationRequestInput,
  testActivationRequestInputSchema,
} from '@peytonix/contracts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import type { AccessControl } from '../access/access-control.ts';
import { withActor } from '../access/actor-scope.ts';
import type { Permission } from '../access/permissions.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { ChangeRequestsService } from '../changes/change-requests.service.ts';
import { findEntityByCode } from '../entities/entities.repository.ts';
import { entityNotVisible, loadAuthorizedEntity } from '../entities/entities.service.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import { isSandboxError } from '../runs/engine/sandbox-errors.ts';
import { checkSingleSelect } from '../runs/engine/statement-check.ts';
import {
  type InputBindings,
  type TestDefinitionFile,
  testDefinitionFileSchema,
} from './definition-file.ts';
import { findTemplate } from './library/library.ts';
import { TEST_ACTIVATION_KIND } from './test-activation-change.ts';
import {
  findTestByKey,
  findVersionByNumber,
  insertTestDefinition,
  insertTestVersion,
} from './test-definitions.repository.ts';

export interface DraftedVersion {
  testId: string;
  key: string;
  version: number;
  versionId: string;
  state: string;
}

export interface TestVersionListing {
  key: string;
  versions: {
    version: number;
    state: string;
    name: string;
    createdBy: string;
    createdAt: string;
    decidedAt: string | null;
  }[];
}

export interface TestDefinitionsService {
  /** Validate a definition file and store it as a new draft version of its test. */
  importDraft(
    actor: Actor,
    entityCode: string,
    content: unknown,
    context?: RequestContext,
  ): Promise<DraftedVersion>;
  /** The active version of a test, or the given version, in definition-file form. */
  export(
    actor: Actor,
    entityCode: string,
    key: string,
    version?: number,
  ): Promise<TestDefinitionFile & { version: number; state: string }>;
  /** Every version of a test, newest first, with its state. */
  listVersions(actor: Actor, entityCode: string, key: string): Promise<TestVersionListing>;
  /**
   * Request that a draft version become the test's active version, as a
   * test_version.activate change request that another person approves.
   */
  requestActivation(
    actor: Actor,
    input: TestActivationRequestInput,
    context?: RequestContext,
  ): Promise<ChangeRequest>;
}

function invalid(detail: string): AppError {
  return new AppError('VALIDATION_FAILED', { detail });
}

/** A missing test, a missing version and one outside the actor's scope read the same. */
function testVersionNotVisible(entityCode: string, key: string, version: number): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No version ${version} of test ${JSON.stringify(key)} in entity ${entityCode} is visible to you. List tests with "peytonix tests list" or GET /api/v1/tests.`,
  });
}

/** Validate an activation request. Routes have validated it already, but the CLI and other callers rely on this check. */
function parseActivationRequest(input: unknown): TestActivationRequestInput {
  const parsed = testActivationRequestInputSchema.safeParse(input);
  if (parsed.success) return parsed.data;

  const issue = parsed.error.issues[0];
  throw invalid(
    `Invalid test activation request at ${issue?.path.join('.') || 'the top level'}: ${issue?.message ?? 'invalid value'}.`,
  );
}

/**
 * Put each binding's members in the order the definition file documents.
 * jsonb stores object keys sorted by length, so without this an exported
 * file would list `fields` before `dataset`.
 */
function orderBindings(bindings: InputBindings): InputBindings {
  return Object.fromEntries(
    Object.entries(bindings).map(([name, binding]) => [
      name,
      {
        dataset: binding.dataset,
        ...(binding.version === undefined ? {} : { version: binding.version }),
        ...(binding.fields === undefined ? {} : { fields: binding.fields }),
      },
    ]),
  );
}

/** Check the SQL with DuckDB's parser and that it uses exactly the declared parameters. */
async function checkDefinitionSql(file: TestDefinitionFile, sqlText: string, label: string) {
  const relationNames = file.inputs.map((input) => input.name);
  let used: string[];
  try {
    used = (await checkSingleSelect(sqlText, { relationNames })).parameterNames;
  } catch (error) {
    if (isSandboxError(error)) throw invalid(`${label} is not accepted: ${error.message}`);
    throw error;
  }
  const declared = file.parameters.map((parameter) => parameter.name);
  const undeclared = used.filter((name) => !declared.includes(name));
  if (undeclared.length > 0) {
    throw invalid(`${label} uses $${undeclared.join(', $')}, which the parameters do not declare.`);
  }
  return used;
}

export function createTestDefinitionsService(deps: {
  db: Db;
  access: AccessControl;
  changeRequests: ChangeRequestsService;
}): TestDefinitionsService {
  const { db, access, changeRequests } = deps;

  const loadEntity = (
    tx: Tx,
    actor: Actor,
    entityCode: string,
    permission: Permission,
    context?: RequestContext,
  ) => loadAuthorizedEntity(tx, access, { actor, entityCode, permission, context });

  return {
    async importDraft(actor, entityCode, content, context) {
      await withActor(db, actor, (tx) => loadEntity(tx, actor, entityCode, 'tests.draft', context));
      if (actor.type !== 'user') {
        throw new AppError('FORBIDDEN', { detail: 'Only users draft tests.' });
      }
      const parsed = testDefinitionFileSchema.safeParse(content);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw invalid(
          `Invalid test definition at ${issue?.path.join('.') || 'the top level'}: ${issue?.message ?? 'invalid value'}.`,
        );
      }
      const file = parsed.data;
      // A run names a library template by its key and finds the entity's test
      // of that key first, so a draft under a template's key would take the
      // template's place in every later run of it.
      if (findTemplate(file.key) !== undefined) {
        throw invalid(
          `The key ${file.key} belongs to a library template. Choose another key for your own test.`,
        );
      }
      const used = await checkDefinitionSql(file, file.sql, 'sql');
      const unused = file.parameters.filter((parameter) => !used.includes(parameter.name));
      if (unused.length > 0) {
        throw invalid(
          `Parameters ${unused.map((parameter) => parameter.name).join(', ')} are declared but the sql does not use them.`,
        );
      }
      if (file.summarySql !== undefined)
        await checkDefinitionSql(file, file.summarySql, 'summarySql');

      return await withActor(db, actor, async (tx) => {
        const entity = await loadEntity(tx, actor, entityCode, 'tests.draft', context);
        const test =
          (await findTestByKey(tx, entity.id, file.key)) ??
          (await insertTestDefinition(tx, {
            entityId: entity.id,
            key: file.key,
            templateKey: null,
            ownerId: actor.userId,
          }));
        const version = await insertTestVersion(tx, {
          testId: test.id,
          state: 'draft',
          name: file.name,
          description: file.description,
          controlReference: file.controlReference ?? null,
          severity: file.severity,
          sql: file.sql,
          summarySql: file.summarySql ?? null,
          inputs: file.inputs,
          parameters: file.parameters,
          keyColumns: file.keyColumns,
          schedule: file.schedule ?? null,
          bindings: file.bindings ?? {},
          createdBy: actor.userId,
          decisionNote: null,
        });
        await appendAuditEvent(tx, {
          actor,
          action: 'test_definition.drafted',
          outcome: 'success',
          target: { type: 'test_version', id: version.id },
          entityId: entity.id,
          ...(context ? { context } : {}),
          details: {
            testKey: file.key,
            version: version.version,
            sql: file.sql,
            keyColumns: file.keyColumns,
            schedule: file.schedule ?? null,
            bindings: file.bindings ?? {},
          },
        });
        return {
          testId: test.id,
          key: file.key,
          version: version.version,
          versionId: version.id,
          state: version.state,
        };
      });
    },

    async export(actor, entityCode, key, versionNumber) {
      return await withActor(db, actor, async (tx) => {
        const entity = await loadEntity(tx, actor, entityCode, 'tests.read');
        const test = await findTestByKey(tx, entity.id, key);
        let query = tx
          .selectFrom('test_versions')
          .selectAll()
          .where('test_id', '=', test?.id ?? '00000000-0000-0000-0000-000000000000');
        query =
          versionNumber === undefined
            ? query.where('state', '=', 'active')
            : query.where('version', '=', versionNumber);
        const version = test ? await query.executeTakeFirst() : undefined;
        if (version === undefined) {
          throw new AppError('RESOURCE_NOT_FOUND', {
            detail: `Entity ${entity.code} has no test ${JSON.stringify(key)}${versionNumber === undefined ? ' with an active version' : ` version ${versionNumber}`}.`,
          });
        }
        const bindings = orderBindings(version.bindings as InputBindings);
        return {
          key,
          name: version.name,
          description: version.description,
          ...(version.control_reference ? { controlReference: version.control_reference } : {}),
          severity: version.severity,
          inputs: version.inputs as TestDefinitionFile['inputs'],
          parameters: version.parameters as TestDefinitionFile['parameters'],
          keyColumns: version.key_columns,
          sql: version.sql,
          ...(version.summary_sql ? { summarySql: version.summary_sql } : {}),
          ...(Object.keys(bindings).length > 0 ? { bindings } : {}),
          ...(version.schedule ? { schedule: version.schedule } : {}),
          version: version.version,
          state: version.state,
        };
      });
    },

    async listVersions(actor, entityCode, key) {
      return await withActor(db, actor, async (tx) => {
        const entity = await loadEntity(tx, actor, entityCode, 'tests.read');
        const test = await findTestByKey(tx, entity.id, key);
        if (test === undefined) {
          throw new AppError('RESOURCE_NOT_FOUND', {
            detail: `Entity ${entity.code} has no test ${JSON.stringify(key)}. List tests with GET /api/v1/tests.`,
          });
        }
        const rows = await tx
          .selectFrom('test_versions as v')
          .innerJoin('users as u', 'u.id', 'v.created_by')
          .select(['v.version', 'v.state', 'v.name', 'u.email', 'v.created_at', 'v.decided_at'])
          .where('v.test_id', '=', test.id)
          .orderBy('v.version', 'desc')
          .execute();
        return {
          key,
          versions: rows.map((row) => ({
            version: row.version,
            state: row.state,
            name: row.name,
            createdBy: row.email,
            createdAt: row.created_at.toISOString(),
            decidedAt: row.decided_at === null ? null : new Date(row.decided_at).toISOString(),
          })),
        };
      });
    },

    async requestActivation(actor, input, context) {
      const request = parseActivationRequest(input);

      // Resolve the names to the version id that the change kind takes. The
      // kind loads the version again and authorizes the requester on it.
      const versionId = await withActor(db, actor, async (tx) => {
        const entity = await findEntityByCode(tx, request.entity);
        if (entity === undefined) throw entityNotVisible(request.entity);
        await access.authorize(
          tx,
          actor,
          'tests.draft',
          { type: 'entity', id: entity.id, entityId: entity.id },
          {
            context,
            notFound: () => entityNotVisible(request.entity),
            draftsChangeRequest: true,
          },
        );

        const test = await findTestByKey(tx, entity.id, request.test);
        const version =
          test === undefined ? undefined : await findVersionByNumber(tx, test.id, request.version);
        if (version === undefined) {
          throw testVersionNotVisible(entity.code, request.test, request.version);
        }
        return version.id;
      });

      return await changeRequests.create(
        actor,
        {
          kind: TEST_ACTIVATION_KIND,
          input: { versionId },
          justification: request.justification,
        },
        context,
      );
    },
  };
}
