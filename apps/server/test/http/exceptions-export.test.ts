import { randomUUID } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessControl } from '../../src/modules/access/access-control.ts';
import { createExceptionExportService } from '../../src/modules/exceptions/export/exceptions-export.service.ts';
import type { Actor } from '../../src/modules/identity/actor.ts';
import { AppError } from '../../src/platform/http/app-error.ts';
import { createLogger } from '../../src/platform/logging/logger.ts';
import { OutputClosedError, OutputStalledError } from '../../src/platform/streams/output-flow.ts';
import {
  createEntityDirectly,
  grantRoleDirectly,
  seedBusinessUnit,
} from '../support/entity-fixtures.ts';
import {
  insertException,
  insertRun,
  insertTest,
  readCsv,
  readXlsx,
} from '../support/export-fixtures.ts';
import { auditEvents } from '../support/governance-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const ADMIN = 'ada@example.com';
const NOBODY = 'otto@example.com';
const READER = 'rob@example.com';
const TEST_KEY = 'vendor-check';

/** Stall timeout of the services these tests create, in milliseconds. */
const STALL_MS = 400;

/** Payload text that spreadsheets would evaluate, by the character it starts with. */
const HOSTILE = {
  vendor: '=HYPERLINK("http://127.0.0.1/x","click")',
  plus: '+1+2',
  minus: '-1+2',
  at: '@SUM(A1:A2)',
  tab: '\t=1+2',
  cr: '\r=1+2',
  lf: '\n=1+2',
} as const;

const PAYLOAD = {
  ...HOSTILE,
  amount: '-12.50',
  signed: '+3',
  count: 3,
  ratio: -4.25,
  paid: true,
  memo: null,
  nested: { note: '=1+1' },
  name: 'Acme, "Ltd"',
};

const RATIONALE = "=cmd|' /C calc'!A0";

const FIXED_HEADER = [
  'exception_id',
  'entity_code',
  'test_key',
  'test_version',
  'run_id',
  'run_number',
  'status',
  'severity',
  'due_on',
  'assignee_email',
  'disposition',
  'rationale',
  'duplicate_of',
  'proposed_by_email',
  'proposed_at',
  'reviewed_by_email',
  'reviewed_at',
  'risk_accepted_by_email',
  'risk_accepted_at',
  'closed_at',
  'closed_reason',
];

interface Fixture {
  database: TestDatabase;
  testApp: TestApp;
  owner: pg.Client;
  admin: Actor;
  testId: string;
  entityId: string;
  /** The exception with the hostile payload, and the one with a hostile rationale. */
  hostileId: string;
  proposedId: string;
  runs: { first: string; second: string; preview: string; outside: string };
}

async function startFixture(): Promise<Fixture> {
  const database = await createTestDatabase();
  const testApp = await startTestApp(database, { testUserHeader: true });
  const admin = await seedBusinessUnit(testApp, {
    adminEmail: ADMIN,
    outsiderEmail: NOBODY,
    code: 'AP',
    name: 'Payables',
  });
  await createEntityDirectly(database.ownerUrl, {
    code: 'OUT',
    parentCode: 'ORG',
    type: 'business_unit',
  });
  const owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  await owner.query('INSERT INTO users (email, display_name) VALUES ($1, $1)', [READER]);
  await grantRoleDirectly(database.ownerUrl, {
    email: READER,
    role: 'read_only',
    entityCode: 'AP',
  });

  const test = await insertTest(owner, { entityCode: 'AP', testKey: TEST_KEY, ownerEmail: ADMIN });
  const first = await insertRun(owner, test, 1);
  const second = await insertRun(owner, test, 2);
  const preview = await insertRun(owner, test, null);
  // The run export shows the payload as run 1 saw it, and the test export the current one.
  const hostileId = await insertException(
    owner,
    test,
    first,
    PAYLOAD,
    {},
    {
      ...PAYLOAD,
      name: 'Acme (run 1)',
    },
  );
  await owner.query('UPDATE exceptions SET last_run_id = $1 WHERE id = $2', [second, hostileId]);
  const proposedId = await insertException(
    owner,
    test,
    first,
    { vendor: 'Plain vendor', amount: '10.00' },
    {
      status: 'proposed',
      assigneeId: userIdOf(admin),
      disposition: 'false_positive',
      rationale: RATIONALE,
      proposedBy: userIdOf(admin),
      dueOn: '2030-01-31',
    },
  );

  const outsideTest = await insertTest(owner, {
    entityCode: 'OUT',
    testKey: TEST_KEY,
    ownerEmail: ADMIN,
  });
  const outside = await insertRun(owner, outsideTest, 1);
  await insertException(owner, outsideTest, outside, { vendor: 'Outside vendor' });

  return {
    database,
    testApp,
    owner,
    admin,
    testId: test.testId,
    entityId: test.entityId,
    hostileId,
    proposedId,
    runs: { first, second, preview, outside },
  };
}

function userIdOf(actor: Actor): string {
  if (actor.type !== 'user') throw new Error('expected a user actor');
  return actor.userId;
}

describe('exceptions export over HTTP', () => {
  let fixture: Fixture;

  beforeAll(async () => {
    fixture = await startFixture();
  });

  afterAll(async () => {
    await fixture?.owner.end();
    await fixture?.testApp.close();
    await fixture?.database.drop();
  });

  const download = (query: string, user = READER) =>
    fixture.testApp.app.inject({
      method: 'GET',
      url: `/api/v1/exceptions/export?${query}`,
      headers: { 'x-test-user': user },
    });

  /** Map each header to its cell, for the row of one exception. */
  const rowOf = <T>(rows: T[][], exceptionId: string): Record<string, T> => {
    const [header = [], ...data] = rows;
    const row = data.find((cells) => cells[0] === exceptionId);
    if (row === undefined) throw new Error(`no row for exception ${exceptionId}`);
    return Object.fromEntries(header.map((name, index) => [String(name), row[index] as T]));
  };

  it('streams a test as CSV with headers', async () => {
    const response = await download(`format=csv&entity=AP&test=${TEST_KEY}`);

    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(
      /^attachment; filename="exceptions_AP_vendor-check_\d{8}T\d{6}Z\.csv"$/,
    );
    expect(response.headers['cache-control']).toBe('no-store');
    const { bom, rows } = await readCsv(response.rawPayload);
    expect(bom).toBe(true);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual([
      ...FIXED_HEADER,
      'payload.amount',
      'payload.at',
      'payload.count',
      'payload.cr',
      'payload.lf',
      'payload.memo',
      'payload.minus',
      'payload.name',
      'payload.nested',
      'payload.paid',
      'payload.plus',
      'payload.ratio',
      'payload.signed',
      'payload.tab',
      'payload.vendor',
    ]);
  });

  it('neutralizes formulas in CSV', async () => {
    const response = await download(`format=csv&entity=AP&test=${TEST_KEY}`);
    const { rows } = await readCsv(response.rawPayload);
    const hostile = rowOf(rows, fixture.hostileId);

    for (const [field, text] of Object.entries(HOSTILE)) {
      expect(hostile[`payload.${field}`], field).toBe(`'${text}`);
    }
    expect(hostile['payload.amount']).toBe('-12.50');
    expect(hostile['payload.signed']).toBe('+3');
    expect(hostile['payload.count']).toBe('3');
    expect(hostile['payload.ratio']).toBe('-4.25');
    expect(hostile['payload.paid']).toBe('true');
    expect(hostile['payload.memo']).toBe('');
    expect(hostile['payload.nested']).toBe('{"note":"=1+1"}');
    expect(hostile['payload.name']).toBe('Acme, "Ltd"');
    expect(hostile.run_number).toBe('2');
    expect(hostile.entity_code).toBe('AP');

    const proposed = rowOf(rows, fixture.proposedId);
    expect(proposed.rationale).toBe(`'${RATIONALE}`);
    expect(proposed.status).toBe('proposed');
    expect(proposed.disposition).toBe('false_positive');
    expect(proposed.assignee_email).toBe(ADMIN);
    expect(proposed.proposed_by_email).toBe(ADMIN);
    expect(proposed.proposed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(proposed.due_on).toBe('2030-01-31');
    expect(proposed['payload.vendor']).toBe('Plain vendor');
    expect(proposed['payload.at']).toBe('');
  });

  it('streams a run as XLSX without formulas', async () => {
    const response = await download(`format=xlsx&run=${fixture.runs.first}`);

    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    expect(response.headers['content-disposition']).toMatch(
      /^attachment; filename="exceptions_AP_vendor-check_run-1_\d{8}T\d{6}Z\.xlsx"$/,
    );
    const rows = await readXlsx(response.rawPayload);
    expect(rows).toHaveLength(3);
    expect(rows[0]?.slice(0, FIXED_HEADER.length)).toEqual(FIXED_HEADER);

    const hostile = rowOf(rows, fixture.hostileId);
    for (const [field, text] of Object.entries(HOSTILE)) {
      // XML reads a carriage return in text as a line feed (XML 1.0, section 2.11).
      expect(hostile[`payload.${field}`], field).toBe(`'${text.replace('\r', '\n')}`);
    }
    expect(hostile['payload.amount']).toBe('-12.50');
    expect(hostile['payload.count']).toBe(3);
    expect(hostile['payload.ratio']).toBe(-4.25);
    expect(hostile['payload.paid']).toBe('true');
    expect(hostile['payload.name']).toBe('Acme (run 1)');
    expect(hostile.run_number).toBe(1);
    expect(hostile.test_version).toBe(1);
    expect(hostile.run_id).toBe(fixture.runs.first);

    const proposed = rowOf(rows, fixture.proposedId);
    expect(proposed.rationale).toBe(`'${RATIONALE}`);
  });

  it('gives out of scope the 404 of missing', async () => {
    const outsideTest = await download(`format=csv&entity=OUT&test=${TEST_KEY}`);
    const missingTest = await download(`format=csv&entity=GHOST&test=${TEST_KEY}`);
    const outsideRun = await download(`format=csv&run=${fixture.runs.outside}`);
    const missingRunId = randomUUID();
    const missingRun = await download(`format=csv&run=${missingRunId}`);

    for (const response of [outsideTest, missingTest, outsideRun, missingRun]) {
      expect(response.statusCode, response.body).toBe(404);
      expect(response.json().code).toBe('RESOURCE_NOT_FOUND');
    }
    expect(outsideTest.json().detail.replace('"OUT"', '"X"')).toBe(
      missingTest.json().detail.replace('"GHOST"', '"X"'),
    );
    expect(outsideRun.json().detail.replace(fixture.runs.outside, 'X')).toBe(
      missingRun.json().detail.replace(missingRunId, 'X'),
    );
    expect(outsideRun.body).not.toContain('Outside vendor');
  });

  it('rejects a user without exceptions.read', async () => {
    const response = await download(`format=csv&entity=AP&test=${TEST_KEY}`, NOBODY);

    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('FORBIDDEN');
    expect(response.json().permission).toBe('exceptions.read');
  });

  it('shows a service principal nothing', async () => {
    const system: Actor = { type: 'system', channel: 'worker' };
    const opened: string[] = [];

    await expect(
      fixture.testApp.services.exceptionExports.exportExceptions(
        system,
        { format: 'csv', filter: { kind: 'run', runId: fixture.runs.first } },
        (file) => {
          opened.push(file.fileName);
          return { stream: new Writable({ write: (_chunk, _encoding, callback) => callback() }) };
        },
      ),
    ).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND', status: 404 });
    expect(opened).toEqual([]);
  });

  // Every role has exceptions.read, so no real grant reaches this 403. An
  // access control that rejects every request takes the place of a role without it.
  it('authorizes exceptions.read on the loaded target', async () => {
    const checks: unknown[] = [];
    const rejecting: AccessControl = {
      ...fixture.testApp.services.access,
      async authorize(_tx, _actor, permission, target) {
        checks.push({ permission, target });
        throw new AppError('FORBIDDEN', { detail: 'refused by the test' });
      },
    };
    const exports = createExceptionExportService({
      db: fixture.testApp.database.db,
      logger: createLogger('silent'),
      access: rejecting,
    });
    const opened: string[] = [];

    await expect(
      exports.exportExceptions(
        fixture.admin,
        { format: 'csv', filter: { kind: 'test', entityCode: 'AP', testKey: TEST_KEY } },
        (file) => {
          opened.push(file.fileName);
          return { stream: new Writable({ write: (_chunk, _encoding, callback) => callback() }) };
        },
      ),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(opened).toEqual([]);
    expect(checks).toEqual([
      {
        permission: 'exceptions.read',
        target: { type: 'test', id: fixture.testId, entityId: fixture.entityId },
      },
    ]);
  });

  it('limits exports running at once', async () => {
    const exports = createExceptionExportService({
      db: fixture.testApp.database.db,
      logger: createLogger('silent'),
      access: fixture.testApp.services.access,
      maxConcurrentExports: 1,
    });
    const request = {
      format: 'csv' as const,
      filter: { kind: 'test' as const, entityCode: 'AP', testKey: TEST_KEY },
    };
    // An output that never finishes a write, like a client that stopped reading.
    const stalled = new Writable({ highWaterMark: 1, write: () => undefined });

    const first = exports.exportExceptions(fixture.admin, request, () => ({ stream: stalled }));
    await waitFor(() => stalled.writableLength > 0);
    const second = exports.exportExceptions(fixture.admin, request, () => ({ stream: stalled }));

    await expect(second).rejects.toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    stalled.destroy();
    await expect(first).rejects.toThrow(OutputClosedError);
  });

  for (const format of ['csv', 'xlsx'] as const) {
    it(`times out a stalled ${format} export`, async () => {
      const exports = createExceptionExportService({
        db: fixture.testApp.database.db,
        logger: createLogger('silent'),
        access: fixture.testApp.services.access,
        maxConcurrentExports: 1,
        stallTimeoutMs: STALL_MS,
      });
      const request = {
        format,
        filter: { kind: 'test' as const, entityCode: 'AP', testKey: TEST_KEY },
      };
      const before = await auditEvents(fixture.testApp, fixture.owner, 'exceptions.exported');
      // An output that never finishes a write, like a client that stopped reading.
      const stalled = new Writable({ highWaterMark: 1, write: () => undefined });
      let openedAt = 0;

      await expect(
        exports.exportExceptions(fixture.admin, request, () => {
          openedAt = performance.now();
          return { stream: stalled };
        }),
      ).rejects.toThrow(OutputStalledError);
      const waitedMs = performance.now() - openedAt;

      expect(waitedMs).toBeGreaterThanOrEqual(STALL_MS);
      expect(waitedMs).toBeLessThan(STALL_MS + 1_000);
      expect(stalled.destroyed).toBe(true);
      const events = (
        await auditEvents(fixture.testApp, fixture.owner, 'exceptions.exported')
      ).slice(before.length);
      expect(events).toHaveLength(1);
      expect(events[0]?.outcome).toBe('failure');
      expect(events[0]?.reason_code).toBe('OUTPUT_STALLED');
      // The CSV sink waits on its header. The XLSX sink takes both rows and waits on the end of the file.
      expect(events[0]?.details.rows).toBe(format === 'xlsx' ? 2 : 0);

      // The stalled export gave its only slot back.
      const next = await exports.exportExceptions(fixture.admin, request, () => ({
        stream: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
      }));
      expect(next.rows).toBe(2);
    });
  }

  it('commits success after delivery', async () => {
    const before = await auditEvents(fixture.testApp, fixture.owner, 'exceptions.exported');
    // A destination that delays its 'finish' until the test lets it go,
    // like a response whose last bytes still wait in the socket.
    let releaseFinish: (() => void) | undefined;
    const destination = new Writable({
      write: (_chunk, _encoding, callback) => callback(),
      final: (callback) => {
        releaseFinish = () => callback();
      },
    });
    const body = new PassThrough();
    body.pipe(destination);

    const exported = fixture.testApp.services.exceptionExports.exportExceptions(
      fixture.admin,
      { format: 'csv', filter: { kind: 'test', entityCode: 'AP', testKey: TEST_KEY } },
      () => ({ stream: body, destination }),
    );
    await waitFor(() => releaseFinish !== undefined);
    const whileDelivering = await auditEvents(
      fixture.testApp,
      fixture.owner,
      'exceptions.exported',
    );
    releaseFinish?.();
    const result = await exported;

    expect(whileDelivering).toHaveLength(before.length);
    expect(result.rows).toBe(2);
    const events = (await auditEvents(fixture.testApp, fixture.owner, 'exceptions.exported')).slice(
      before.length,
    );
    expect(events).toHaveLength(1);
    expect(events[0]?.outcome).toBe('success');
    expect(events[0]?.details.rows).toBe(2);
  });

  it('runs no export for HEAD', async () => {
    const before = await auditEvents(fixture.testApp, fixture.owner, 'exceptions.exported');

    const response = await fixture.testApp.app.inject({
      method: 'HEAD',
      url: `/api/v1/exceptions/export?format=csv&entity=AP&test=${TEST_KEY}`,
      headers: { 'x-test-user': READER },
    });

    expect(response.statusCode).not.toBe(200);
    expect(response.headers['content-disposition']).toBeUndefined();
    const after = await auditEvents(fixture.testApp, fixture.owner, 'exceptions.exported');
    expect(after).toHaveLength(before.length);
  });

  it('rejects a preview run with 422', async () => {
    const response = await download(`format=csv&run=${fixture.runs.preview}`);

    expect(response.statusCode).toBe(422);
    expect(response.json().code).toBe('BUSINESS_RULE_VIOLATED');
  });

  it('audits each export with its row count', async () => {
    const before = await auditEvents(fixture.testApp, fixture.owner, 'exceptions.exported');
    await download(`format=csv&entity=AP&test=${TEST_KEY}`);
    await download(`format=xlsx&run=${fixture.runs.first}`);
    await download(`format=xlsx&run=${fixture.runs.outside}`);

    const events = (await auditEvents(fixture.testApp, fixture.owner, 'exceptions.exported')).slice(
      before.length,
    );
    expect(events).toHaveLength(2);
    const [byTest, byRun] = events;
    expect(byTest?.outcome).toBe('success');
    expect(byTest?.target_type).toBe('test');
    expect(byTest?.details).toEqual({
      format: 'csv',
      filter: 'test',
      entityCode: 'AP',
      testKey: TEST_KEY,
      rows: 2,
    });
    expect(byRun?.outcome).toBe('success');
    expect(byRun?.target_type).toBe('run');
    expect(byRun?.target_id).toBe(fixture.runs.first);
    expect(byRun?.details).toEqual({
      format: 'xlsx',
      filter: 'run',
      runId: fixture.runs.first,
      runNumber: 1,
      entityCode: 'AP',
      testKey: TEST_KEY,
      rows: 2,
    });
  });

  for (const format of ['csv', 'xlsx'] as const) {
    it(`audits a broken-off ${format} export`, async () => {
      const before = await auditEvents(fixture.testApp, fixture.owner, 'exceptions.exported');
      const failingOutput = new Writable({
        write: (_chunk, _encoding, callback) => callback(new Error('disk full')),
      });

      await expect(
        fixture.testApp.services.exceptionExports.exportExceptions(
          fixture.admin,
          { format, filter: { kind: 'test', entityCode: 'AP', testKey: TEST_KEY } },
          () => ({ stream: failingOutput }),
        ),
      ).rejects.toThrow('disk full');

      const events = (
        await auditEvents(fixture.testApp, fixture.owner, 'exceptions.exported')
      ).slice(before.length);
      expect(events).toHaveLength(1);
      expect(events[0]?.outcome).toBe('failure');
      expect(events[0]?.reason_code).toBe('OUTPUT_FAILED');
      expect(events[0]?.details).toMatchObject({ format, filter: 'test' });
      expect(failingOutput.destroyed).toBe(true);
    });
  }

  const badQueries: [string, string, RegExp][] = [
    ['an unknown format', `format=pdf&entity=AP&test=${TEST_KEY}`, /"pdf".*csv or xlsx/],
    ['no format', `entity=AP&test=${TEST_KEY}`, /missing format, expected csv or xlsx/],
    ['no filter', 'format=csv', /run.*entity.*test/],
    ['an entity without a test', 'format=csv&entity=AP', /run.*entity.*test/],
    ['both filters', `format=csv&entity=AP&test=${TEST_KEY}&run=${randomUUID()}`, /not both/],
    ['a run that is no UUID', 'format=csv&run=42', /"42".*UUID/],
    ['an invalid test key', 'format=csv&entity=AP&test=Bad%20Key', /"Bad Key"/],
    [
      'an unknown parameter',
      `format=csv&entity=AP&test=${TEST_KEY}&limit=5`,
      /unknown parameter "limit"/,
    ],
  ];
  for (const [what, query, detail] of badQueries) {
    it(`answers 400 to ${what}`, async () => {
      const response = await download(query);

      expect(response.statusCode, response.body).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().code).toBe('VALIDATION_FAILED');
      expect(response.json().detail).toMatch(detail);
    });
  }
});
