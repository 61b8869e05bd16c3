import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../src/modules/identity/actor.ts';
import type { FirstAdministrator } from '../../src/modules/identity/identity.service.ts';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { AppError } from '../../src/platform/http/app-error.ts';
import { migrateDatabase } from '../../src/runtime.ts';
import type { Services } from '../../src/services.ts';
import { createTestServices } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const logger = pino({ level: 'silent' });

async function connect(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** Await `promise` and return its rejection reason. Throws when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

async function insertEntity(
  client: pg.Client,
  entity: { type: string; code: string; parentCode: string | null },
) {
  await client.query(
    `INSERT INTO entities (parent_id, type, code, name)
     VALUES ((SELECT id FROM entities WHERE code = $1), $2, $3, $3)`,
    [entity.parentCode, entity.type, entity.code],
  );
}

async function idOf(client: pg.Client, code: string): Promise<string> {
  const result = await client.query<{ id: string }>('SELECT id FROM entities WHERE code = $1', [
    code,
  ]);
  const row = result.rows[0];
  if (!row) throw new Error(`no entity has code ${code}`);
  return row.id;
}

/** Read the closure rows below `code`, which form its subtree, ordered by descendant code. */
async function subtreeOf(client: pg.Client, code: string) {
  const result = await client.query<{ code: string; depth: number }>(
    `SELECT descendant.code, closure.depth
     FROM entity_closure AS closure
     JOIN entities AS ancestor ON ancestor.id = closure.ancestor_id
     JOIN entities AS descendant ON descendant.id = closure.descendant_id
     WHERE ancestor.code = $1
     ORDER BY descendant.code`,
    [code],
  );
  return result.rows;
}

/** Read the closure rows above `code`, which name its ancestors, ordered by ancestor code. */
async function ancestorsOf(client: pg.Client, code: string) {
  const result = await client.query<{ code: string; depth: number }>(
    `SELECT ancestor.code, closure.depth
     FROM entity_closure AS closure
     JOIN entities AS ancestor ON ancestor.id = closure.ancestor_id
     JOIN entities AS descendant ON descendant.id = closure.descendant_id
     WHERE descendant.code = $1
     ORDER BY ancestor.code`,
    [code],
  );
  return result.rows;
}

/**
 * Recompute the closure from entities.parent_id and return the rows where
 * entity_closure differs from it, in either direction. Returns none when the
 * triggers kept entity_closure in step.
 */
async function closureMismatches(client: pg.Client) {
  const result = await client.query(
    `WITH RECURSIVE paths (ancestor_id, descendant_id, depth) AS (
       SELECT id, id, 0 FROM entities
       UNION ALL
       SELECT parent.parent_id, paths.descendant_id, paths.depth + 1
       FROM paths
       JOIN entities AS parent ON parent.id = paths.ancestor_id
       WHERE parent.parent_id IS NOT NULL
     )
     (SELECT 'missing' AS problem, * FROM (SELECT * FROM paths EXCEPT SELECT * FROM entity_closure) AS missing)
     UNION ALL
     (SELECT 'stale' AS problem, * FROM (SELECT * FROM entity_closure EXCEPT SELECT * FROM paths) AS stale)`,
  );
  return result.rows;
}

describe('entity closure table', () => {
  let database: TestDatabase;
  let client: pg.Client;

  // ORG > BU > SUB > ENG1, BU > ENG2, and ORG > BU2 as a second branch.
  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateDatabase(database.ownerUrl, logger);
    // The owner, because the triggers are under test here and the
    // application role sees no row without an actor scope.
    client = await connect(database.ownerUrl);

    await insertEntity(client, { type: 'organization', code: 'ORG', parentCode: null });
    await insertEntity(client, { type: 'business_unit', code: 'BU', parentCode: 'ORG' });
    await insertEntity(client, { type: 'subsidiary', code: 'SUB', parentCode: 'BU' });
    await insertEntity(client, { type: 'engagement', code: 'ENG1', parentCode: 'SUB' });
    await insertEntity(client, { type: 'engagement', code: 'ENG2', parentCode: 'BU' });
    await insertEntity(client, { type: 'business_unit', code: 'BU2', parentCode: 'ORG' });
  });
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });

  it('contains exactly the subtree with depths', async () => {
    expect(await subtreeOf(client, 'BU')).toEqual([
      { code: 'BU', depth: 0 },
      { code: 'ENG1', depth: 2 },
      { code: 'ENG2', depth: 1 },
      { code: 'SUB', depth: 1 },
    ]);
    expect(await ancestorsOf(client, 'ENG1')).toEqual([
      { code: 'BU', depth: 2 },
      { code: 'ENG1', depth: 0 },
      { code: 'ORG', depth: 3 },
      { code: 'SUB', depth: 1 },
    ]);
    expect(await subtreeOf(client, 'ENG2')).toEqual([{ code: 'ENG2', depth: 0 }]);
    expect(await closureMismatches(client)).toEqual([]);
  });

  it('moves a whole subtree with its parent', async () => {
    const newParentId = await idOf(client, 'BU2');

    await client.query('BEGIN');
    try {
      await client.query('UPDATE entities SET parent_id = $1 WHERE code = $2', [
        newParentId,
        'SUB',
      ]);

      expect(await subtreeOf(client, 'BU')).toEqual([
        { code: 'BU', depth: 0 },
        { code: 'ENG2', depth: 1 },
      ]);
      expect(await subtreeOf(client, 'BU2')).toEqual([
        { code: 'BU2', depth: 0 },
        { code: 'ENG1', depth: 2 },
        { code: 'SUB', depth: 1 },
      ]);
      expect(await ancestorsOf(client, 'ENG1')).toEqual([
        { code: 'BU2', depth: 2 },
        { code: 'ENG1', depth: 0 },
        { code: 'ORG', depth: 3 },
        { code: 'SUB', depth: 1 },
      ]);
      expect(await closureMismatches(client)).toEqual([]);
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('rejects a move below a descendant', async () => {
    const descendantId = await idOf(client, 'ENG1');

    const error = await rejectionOf(
      client.query('UPDATE entities SET parent_id = $1 WHERE code = $2', [descendantId, 'BU']),
    );

    expect(error).toMatchObject({ code: '23514', constraint: 'entities_no_cycle' });
    expect(await ancestorsOf(client, 'BU')).toEqual([
      { code: 'BU', depth: 0 },
      { code: 'ORG', depth: 1 },
    ]);
    expect(await closureMismatches(client)).toEqual([]);
  });

  it('rejects a move below itself', async () => {
    const ownId = await idOf(client, 'BU');

    const error = await rejectionOf(
      client.query('UPDATE entities SET parent_id = $1 WHERE code = $2', [ownId, 'BU']),
    );

    expect(error).toMatchObject({ code: '23514', constraint: 'entities_not_own_parent' });
  });

  const rejectedShapes: [
    string,
    { type: string; code: string; parentCode: string | null },
    object,
  ][] = [
    [
      'a second root',
      { type: 'organization', code: 'ORG2', parentCode: null },
      { code: '23505', constraint: 'entities_single_root' },
    ],
    [
      'an organization with a parent',
      { type: 'organization', code: 'ORG3', parentCode: 'ORG' },
      { code: '23514', constraint: 'entities_root_is_organization' },
    ],
    [
      'a business unit without a parent',
      { type: 'business_unit', code: 'BU3', parentCode: null },
      { code: '23514', constraint: 'entities_root_is_organization' },
    ],
  ];
  for (const [shape, entity, expected] of rejectedShapes) {
    it(`rejects ${shape}`, async () => {
      const error = await rejectionOf(insertEntity(client, entity));

      expect(error).toMatchObject(expected);
    });
  }
});

describe('entities service', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let owner: pg.Client;
  let services: Services;
  let first: FirstAdministrator;
  let admin: Actor;
  let readerId: string;
  let reader: Actor;

  // ORG > BU > SUB > ENG1, BU > ENG2, and ORG > BU2. The reader has one
  // grant: read_only on BU.
  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateDatabase(database.ownerUrl, logger);
    handle = openDatabase({
      url: database.appUrl,
      poolMax: 4,
      statementTimeoutMs: 10_000,
      applicationName: 'peytonix-test',
      logger,
    });
    owner = await connect(database.ownerUrl);
    services = createTestServices(handle.db);

    first = await services.identity.createFirstAdministrator({
      email: 'ada@example.com',
      displayName: 'Ada Admin',
      organizationName: 'Example Group',
      organizationCode: 'ORG',
    });
    admin = { type: 'user', userId: first.userId, email: first.email, channel: 'api' };

    const tree = [
      { parentCode: 'ORG', type: 'business_unit', code: 'BU', name: 'Retail' },
      { parentCode: 'BU', type: 'subsidiary', code: 'SUB', name: 'Retail Ltd' },
      { parentCode: 'SUB', type: 'engagement', code: 'ENG1', name: 'Payroll audit' },
      { parentCode: 'BU', type: 'engagement', code: 'ENG2', name: 'Inventory audit' },
      { parentCode: 'ORG', type: 'business_unit', code: 'BU2', name: 'Wholesale' },
    ] as const;
    for (const input of tree) {
      await services.entities.create(admin, input);
    }

    const user = await owner.query<{ id: string }>(
      "INSERT INTO users (email, display_name) VALUES ('rita@example.com', 'Rita Reader') RETURNING id",
    );
    const insertedId = user.rows[0]?.id;
    if (!insertedId) throw new Error('inserting the reader returned no id');
    readerId = insertedId;
    await owner.query(
      `INSERT INTO role_grants (user_id, role, entity_id, granted_by)
       VALUES ($1, 'read_only', (SELECT id FROM entities WHERE code = 'BU'), $2)`,
      [readerId, first.userId],
    );
    reader = { type: 'user', userId: readerId, email: 'rita@example.com', channel: 'api' };
  });
  afterAll(async () => {
    await services?.close();
    await owner?.end();
    await handle?.close();
    await database?.drop();
  });

  it('first administrator gets the root and a grant', async () => {
    const root = await owner.query(
      'SELECT id, type, code, name FROM entities WHERE parent_id IS NULL',
    );
    expect(root.rows).toEqual([
      { id: first.organizationId, type: 'organization', code: 'ORG', name: 'Example Group' },
    ]);

    const grants = await owner.query('SELECT role, entity_id FROM role_grants WHERE user_id = $1', [
      first.userId,
    ]);
    expect(grants.rows).toEqual([{ role: 'administrator', entity_id: first.organizationId }]);
  });

  it('administrator lists the whole tree', async () => {
    const entities = await services.entities.listInScope(admin);

    expect(entities.map((entity) => [entity.code, entity.depth])).toEqual([
      ['ORG', 0],
      ['BU', 1],
      ['BU2', 1],
      ['ENG2', 2],
      ['SUB', 2],
      ['ENG1', 3],
    ]);
  });

  it('read-only grant lists only its subtree', async () => {
    const entities = await services.entities.listInScope(reader);

    expect(entities.map((entity) => [entity.code, entity.depth])).toEqual([
      ['BU', 1],
      ['ENG2', 2],
      ['SUB', 2],
      ['ENG1', 3],
    ]);
  });

  it('read-only grant cannot create below its entity', async () => {
    const error = await rejectionOf(
      services.entities.create(reader, {
        parentCode: 'BU',
        type: 'engagement',
        code: 'ENG3',
        name: 'Cash audit',
      }),
    );

    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('FORBIDDEN');
    const created = await owner.query("SELECT id FROM entities WHERE code = 'ENG3'");
    expect(created.rowCount).toBe(0);
  });

  it('denied creation is audited', async () => {
    await rejectionOf(
      services.entities.create(reader, {
        parentCode: 'SUB',
        type: 'engagement',
        code: 'ENG4',
        name: 'Tax audit',
      }),
    );

    await owner.query('SELECT audit_seal_pending(1000)');
    const subId = (await owner.query("SELECT id FROM entities WHERE code = 'SUB'")).rows[0]?.id;
    const events = await owner.query(
      `SELECT actor_type, actor_id, channel, outcome, reason_code, target_type, target_id, entity_id, details
       FROM audit_events
       WHERE action = 'access.denied' AND target_id = $1`,
      [subId],
    );
    expect(events.rowCount).toBe(1);
    expect(events.rows[0]).toEqual({
      actor_type: 'user',
      actor_id: readerId,
      channel: 'api',
      outcome: 'denied',
      reason_code: 'PERMISSION_REQUIRED',
      target_type: 'entity',
      target_id: subId,
      entity_id: subId,
      details: { permission: 'entities.manage' },
    });
  });

  it('parent outside scope looks missing', async () => {
    const outside = await rejectionOf(
      services.entities.create(reader, {
        parentCode: 'BU2',
        type: 'engagement',
        code: 'ENG5',
        name: 'Freight audit',
      }),
    );
    const missing = await rejectionOf(
      services.entities.create(reader, {
        parentCode: 'NOPE',
        type: 'engagement',
        code: 'ENG6',
        name: 'Freight audit',
      }),
    );

    expect(outside).toBeInstanceOf(AppError);
    expect((outside as AppError).code).toBe('RESOURCE_NOT_FOUND');
    expect(missing).toBeInstanceOf(AppError);
    expect((missing as AppError).code).toBe('RESOURCE_NOT_FOUND');
    expect((outside as AppError).detail.replace('BU2', 'NOPE')).toBe((missing as AppError).detail);
  });

  it('duplicate code in other case conflicts', async () => {
    const error = await rejectionOf(
      services.entities.create(admin, {
        parentCode: 'ORG',
        type: 'business_unit',
        code: 'bu',
        name: 'Retail again',
      }),
    );

    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CONFLICT');
  });

  it('administrator creates below a subtree', async () => {
    const entity = await services.entities.create(admin, {
      parentCode: 'sub',
      type: 'engagement',
      code: 'ENG7',
      name: 'Treasury audit',
    });

    const subId = (await owner.query("SELECT id FROM entities WHERE code = 'SUB'")).rows[0]?.id;
    expect(entity.parentId).toBe(subId);
    await owner.query('SELECT audit_seal_pending(1000)');
    const event = await owner.query(
      "SELECT actor_id, outcome FROM audit_events WHERE action = 'entity.created' AND target_id = $1",
      [entity.id],
    );
    expect(event.rows).toEqual([{ actor_id: first.userId, outcome: 'success' }]);
  });

  it('ai actor reads what its user reads, and creates nothing', async () => {
    const actor: Actor = { type: 'ai', onBehalfOf: readerId, channel: 'api' };

    const entities = await services.entities.listInScope(actor);
    const refused = await rejectionOf(
      services.entities.create(
        { type: 'ai', onBehalfOf: first.userId, channel: 'api' },
        { parentCode: 'BU', type: 'engagement', code: 'ENG9', name: 'Drafted by AI' },
      ),
    );

    expect(entities.map((entity) => entity.code)).toEqual(
      expect.arrayContaining(['BU', 'ENG1', 'ENG2', 'SUB']),
    );
    expect(entities.map((entity) => entity.code)).not.toContain('BU2');
    expect((refused as AppError).code).toBe('FORBIDDEN');
  });

  it('system actor lists nothing', async () => {
    const actor: Actor = { type: 'system', channel: 'cli' };

    expect(await services.entities.listInScope(actor)).toEqual([]);
  });
});
