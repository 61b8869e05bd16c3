import { sql } from 'kysely';
import type { Db, Tx } from '../../platform/db/database.ts';
import type { Severity, TestVersionState } from '../../platform/db/schema.ts';
import type { InputBindings } from './definition-file.ts';

export async function findTestByKey(db: Db | Tx, entityId: string, key: string) {
  return await db
    .selectFrom('test_definitions')
    .selectAll()
    .where('entity_id', '=', entityId)
    .where('key', '=', key)
    .executeTakeFirst();
}

export async function findTestById(db: Db | Tx, testId: string) {
  return await db
    .selectFrom('test_definitions')
    .selectAll()
    .where('id', '=', testId)
    .executeTakeFirst();
}

export async function insertTestDefinition(
  tx: Tx,
  test: { entityId: string; key: string; templateKey: string | null; ownerId: string },
) {
  return await tx
    .insertInto('test_definitions')
    .values({
      entity_id: test.entityId,
      key: test.key,
      template_key: test.templateKey,
      owner_id: test.ownerId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface NewTestVersion {
  testId: string;
  state: TestVersionState;
  name: string;
  description: string;
  controlReference: string | null;
  severity: Severity;
  sql: string;
  summarySql: string | null;
  inputs: unknown[];
  parameters: unknown[];
  keyColumns: string[];
  schedule: string | null;
  /** Input name → dataset binding; none when absent. */
  bindings?: InputBindings;
  createdBy: string;
  decisionNote: string | null;
}

/** Insert the next version of a test, numbered under the definition's row lock. */
export async function insertTestVersion(tx: Tx, version: NewTestVersion) {
  const numbered = await tx
    .updateTable('test_definitions')
    .set((eb) => ({ latest_version: eb('latest_version', '+', 1) }))
    .where('id', '=', version.testId)
    .returning('latest_version')
    .executeTakeFirstOrThrow();
  return await tx
    .insertInto('test_versions')
    .values({
      test_id: version.testId,
      version: numbered.latest_version,
      state: version.state,
      name: version.name,
      description: version.description,
      control_reference: version.controlReference,
      severity: version.severity,
      sql: version.sql,
      summary_sql: version.summarySql,
      inputs: JSON.stringify(version.inputs),
      parameters: JSON.stringify(version.parameters),
      key_columns: version.keyColumns,
      schedule: version.schedule,
      bindings: JSON.stringify(version.bindings ?? {}),
      created_by: version.createdBy,
      decision_note: version.decisionNote,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findActiveVersion(db: Db | Tx, testId: string) {
  return await db
    .selectFrom('test_versions')
    .selectAll()
    .where('test_id', '=', testId)
    .where('state', '=', 'active')
    .executeTakeFirst();
}

/** The newest version still in review (draft or submitted), if any. */
export async function findLatestDraft(db: Db | Tx, testId: string) {
  return await db
    .selectFrom('test_versions')
    .selectAll()
    .where('test_id', '=', testId)
    .where('state', 'in', ['draft', 'submitted'])
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function findTestVersion(db: Db | Tx, versionId: string) {
  return await db
    .selectFrom('test_versions')
    .selectAll()
    .where('id', '=', versionId)
    .executeTakeFirst();
}

/** Load the version numbered `version` of a test. */
export async function findVersionByNumber(db: Db | Tx, testId: string, version: number) {
  return await db
    .selectFrom('test_versions')
    .selectAll()
    .where('test_id', '=', testId)
    .where('version', '=', version)
    .executeTakeFirst();
}

/**
 * Lock a test's definition row until the transaction ends. Drafting a
 * version also locks the row, because it raises latest_version, so two
 * activations of one test, or an activation and a new draft, run one
 * after the other.
 */
export async function lockTestDefinition(tx: Tx, testId: string) {
  return await tx
    .selectFrom('test_definitions')
    .selectAll()
    .where('id', '=', testId)
    .forUpdate()
    .executeTakeFirst();
}

/** Move the active version to superseded. Returns false when it was not active. */
export async function supersedeVersion(tx: Tx, versionId: string): Promise<boolean> {
  const result = await tx
    .updateTable('test_versions')
    .set({ state: 'superseded' })
    .where('id', '=', versionId)
    .where('state', '=', 'active')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Make a draft version the active one and record who decided. Returns
 * false when it was not a draft. The test's previous active version must
 * be superseded first, because the index test_versions_one_active allows
 * one active version per test.
 */
export async function activateDraftVersion(
  tx: Tx,
  versionId: string,
  decision: { decidedBy: string; note: string },
): Promise<boolean> {
  const result = await tx
    .updateTable('test_versions')
    .set({
      state: 'active',
      decided_by: decision.decidedBy,
      decided_at: sql<Date>`now()`,
      decision_note: decision.note,
    })
    .where('id', '=', versionId)
    .where('state', '=', 'draft')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Tests of the given entities with their active version's name; row-level security limits them to the actor's scope. */
export async function listTestsOfEntities(tx: Tx, entityIds: readonly string[]) {
  if (entityIds.length === 0) return [];
  return await tx
    .selectFrom('test_definitions')
    .innerJoin('entities', 'entities.id', 'test_definitions.entity_id')
    .leftJoin('test_versions', (join) =>
      join
        .onRef('test_versions.test_id', '=', 'test_definitions.id')
        .on('test_versions.state', '=', 'active'),
    )
    .select([
      'test_definitions.id',
      'test_definitions.key',
      'test_definitions.template_key',
      'entities.code as entity_code',
      'test_versions.version as active_version',
      'test_versions.name',
      'test_versions.severity',
      'test_versions.inputs',
      'test_versions.parameters',
      'test_definitions.latest_run_number',
    ])
    .where('test_definitions.entity_id', 'in', entityIds)
    .orderBy('entities.code')
    .orderBy('test_definitions.key')
    .limit(1000)
    .execute();
}
