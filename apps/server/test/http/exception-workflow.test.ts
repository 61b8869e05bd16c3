import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/modules/access/permissions.ts';
import type { Actor } from '../../src/modules/identity/actor.ts';
import {
  createEntityDirectly,
  grantRoleDirectly,
  seedBusinessUnit,
} from '../support/entity-fixtures.ts';
import {
  duplicatePaymentsCsv,
  freshExceptions,
  runDuplicatePayments,
} from '../support/exception-fixtures.ts';
import { auditEvents } from '../support/governance-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';
const PREPARER = 'pia@example.com';
const SECOND_PREPARER = 'pete@example.com';
const REVIEWER = 'rita@example.com';
const SECOND_REVIEWER = 'rex@example.com';
const MANAGER = 'mona@example.com';
/** Holds preparer, reviewer and management on AP, to reach the separation-of-duties rules. */
const DUAL = 'dora@example.com';
const READER = 'rob@example.com';
/** A reviewer of another business unit. */
const OUTSIDER = 'oscar@example.com';

const GRANTS: [string, Role, string][] = [
  [PREPARER, 'preparer', 'AP'],
  [SECOND_PREPARER, 'preparer', 'AP'],
  [REVIEWER, 'reviewer', 'AP'],
  [SECOND_REVIEWER, 'reviewer', 'AP'],
  [MANAGER, 'management', 'AP'],
  [DUAL, 'preparer', 'AP'],
  [DUAL, 'reviewer', 'AP'],
  [DUAL, 'management', 'AP'],
  [READER, 'read_only', 'AP'],
  [OUTSIDER, 'reviewer', 'OUT'],
];

describe('exception workflow', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let owner: pg.Client;
  let admin: Actor;

  beforeAll(async () => {
    database = await createTestDatabase();
    testApp = await startTestApp(database, { testUserHeader: true });
    admin = await seedBusinessUnit(testApp, {
      adminEmail: ADMIN,
      outsiderEmail: 'otto@example.com',
      code: 'AP',
      name: 'Payables',
    });
    await createEntityDirectly(testApp.ownerUrl, {
      code: 'OUT',
      parentCode: 'ORG',
      type: 'business_unit',
    });
    const emails = [...new Set(GRANTS.map(([email]) => email))];
    await testApp.database.db
      .insertInto('users')
      .values(emails.map((email) => ({ email, display_name: email })))
      .execute();
    for (const [email, role, entityCode] of GRANTS) {
      await grantRoleDirectly(testApp.ownerUrl, { email, role, entityCode });
    }
    owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
  });

  afterAll(async () => {
    await owner?.end();
    await testApp?.close();
    await database?.drop();
  });

  const call = async (method: 'GET' | 'POST', url: string, user: string, payload?: unknown) => {
    const response = await testApp.app.inject({
      method,
      url,
      headers: { 'x-test-user': user },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> };
  };

  const step = (id: string, action: string, user: string, payload: unknown = {}) =>
    call('POST', `/api/v1/exceptions/${id}/${action}`, user, payload);

  const show = async (id: string) => (await call('GET', `/api/v1/exceptions/${id}`, ADMIN)).body;

  const fresh = (vendors: string[]) => freshExceptions(testApp, admin, 'AP', vendors);

  /** Assign to PREPARER and propose `disposition`; returns the exception id. */
  const proposed = async (id: string, disposition: string, extra: Record<string, unknown> = {}) => {
    expect((await step(id, 'assign', REVIEWER, { assignee: PREPARER })).status).toBe(200);
    const proposal = await step(id, 'propose', PREPARER, {
      disposition,
      rationale: `Checked against the vendor statement: ${disposition}.`,
      ...extra,
    });
    expect(proposal.status, JSON.stringify(proposal.body)).toBe(200);
    return id;
  };

  describe('lifecycle', () => {
    it.each(['false_positive', 'control_deficiency', 'remediated'])(
      'closes a %s disposition on review',
      async (disposition) => {
        const { ids } = await fresh(['V1']);
        const [id = ''] = ids;

        const assigned = await step(id, 'assign', REVIEWER, { assignee: PREPARER });
        const proposal = await step(id, 'propose', PREPARER, {
          disposition,
          rationale: 'Matched to the vendor statement.',
        });
        const approved = await step(id, 'approve', REVIEWER, { comment: 'Agreed.' });

        expect(assigned.body).toMatchObject({ status: 'in_progress' });
        expect(proposal.body).toMatchObject({ status: 'proposed' });
        expect(approved.body).toMatchObject({ status: 'closed' });
        const detail = await show(id);
        expect(detail).toMatchObject({
          status: 'closed',
          disposition,
          assignee: PREPARER,
          proposedBy: PREPARER,
          reviewedBy: REVIEWER,
          rationale: 'Matched to the vendor statement.',
        });
        expect(detail.closedAt).not.toBeNull();
        const history = detail.history as {
          action: string;
          toStatus: string;
          actor: string | null;
        }[];
        expect(history.map((event) => [event.action, event.toStatus, event.actor])).toEqual([
          ['assigned', 'in_progress', REVIEWER],
          ['proposed', 'proposed', PREPARER],
          ['approved', 'closed', REVIEWER],
        ]);
      },
    );

    it('closes a duplicate that names the exception it repeats', async () => {
      const { ids } = await fresh(['V1', 'V2']);
      const [original = '', repeat = ''] = ids;

      await proposed(repeat, 'duplicate', { duplicateOf: original });
      const approved = await step(repeat, 'approve', REVIEWER);

      expect(approved.body).toMatchObject({ status: 'closed' });
      expect(await show(repeat)).toMatchObject({ disposition: 'duplicate', duplicateOf: original });
    });

    it('rejects a duplicate without the exception it repeats, or of itself', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;
      await step(id, 'assign', REVIEWER, { assignee: PREPARER });

      const missing = await step(id, 'propose', PREPARER, {
        disposition: 'duplicate',
        rationale: 'Same.',
      });
      const itself = await step(id, 'propose', PREPARER, {
        disposition: 'duplicate',
        rationale: 'Same.',
        duplicateOf: id,
      });

      expect(missing.status).toBe(400);
      expect(missing.body.detail).toContain('needs duplicateOf');
      expect(itself.status).toBe(400);
      expect((await show(id)).status).toBe('in_progress');
    });

    it('rejects a duplicate chain from either end', async () => {
      const { ids } = await fresh(['V1', 'V2', 'V3']);
      const [first = '', second = '', third = ''] = ids;
      await proposed(first, 'duplicate', { duplicateOf: second });
      await step(third, 'assign', REVIEWER, { assignee: PREPARER });
      await step(second, 'assign', REVIEWER, { assignee: PREPARER });

      const onto = await step(third, 'propose', PREPARER, {
        disposition: 'duplicate',
        rationale: 'Same.',
        duplicateOf: first,
      });
      const below = await step(second, 'propose', PREPARER, {
        disposition: 'duplicate',
        rationale: 'Same.',
        duplicateOf: third,
      });

      expect(onto.status).toBe(422);
      expect(below.status).toBe(422);
      expect(below.body.detail).toContain(`named as the original of ${first}`);
    });

    it('closes a risk acceptance only after management approves it', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;
      await proposed(id, 'risk_accepted');

      const reviewed = await step(id, 'approve', REVIEWER);
      const secondReview = await step(id, 'approve', SECOND_REVIEWER);
      const accepted = await step(id, 'accept-risk', MANAGER, { comment: 'Within appetite.' });

      expect(reviewed.body).toMatchObject({ status: 'proposed' });
      expect(secondReview.status).toBe(409);
      expect(accepted.body).toMatchObject({ status: 'closed' });
      expect(await show(id)).toMatchObject({
        status: 'closed',
        disposition: 'risk_accepted',
        reviewedBy: REVIEWER,
        riskAcceptedBy: MANAGER,
      });
      const events = (await auditEvents(testApp, owner, 'exception.risk_accepted')).filter(
        (event) => event.target_id === id,
      );
      expect(events).toHaveLength(1);
    });

    it('rejects accepting a risk before a reviewer approved it', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;
      await proposed(id, 'risk_accepted');

      const early = await step(id, 'accept-risk', MANAGER);

      expect(early.status).toBe(409);
      expect(early.body.detail).toContain('only a risk acceptance that a reviewer has approved');
    });

    it('returns a proposal to its preparer and clears it', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;
      await proposed(id, 'false_positive');

      const returned = await step(id, 'return', REVIEWER, { comment: 'Attach the statement.' });
      const again = await step(id, 'propose', PREPARER, {
        disposition: 'remediated',
        rationale: 'Refund received.',
      });

      expect(returned.body).toMatchObject({ status: 'in_progress' });
      expect(again.body).toMatchObject({ status: 'proposed' });
      const detail = await show(id);
      const history = detail.history as { action: string; comment: string | null }[];
      expect(history.find((event) => event.action === 'returned')?.comment).toBe(
        'Attach the statement.',
      );
      expect(detail.disposition).toBe('remediated');
    });

    it('sends a declined risk acceptance back to its preparer', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;
      await proposed(id, 'risk_accepted');
      await step(id, 'approve', REVIEWER);

      const declined = await step(id, 'decline-risk', MANAGER, { comment: 'Remediate instead.' });

      expect(declined.body).toMatchObject({ status: 'in_progress' });
      expect(await show(id)).toMatchObject({ disposition: null, reviewedBy: null });
    });

    it('rejects a return without a comment', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;
      await proposed(id, 'false_positive');

      const returned = await step(id, 'return', REVIEWER, {});

      expect(returned.status).toBe(400);
    });

    it('lets only the assignee propose', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;
      await step(id, 'assign', REVIEWER, { assignee: PREPARER });

      const other = await step(id, 'propose', SECOND_PREPARER, {
        disposition: 'false_positive',
        rationale: 'Not mine.',
      });

      expect(other.status).toBe(403);
      expect(other.body.detail).toContain('only its assignee');
      const denials = (await auditEvents(testApp, owner, 'access.denied')).filter(
        (event) => event.target_id === id,
      );
      expect(denials).toEqual([expect.objectContaining({ reason_code: 'NOT_ASSIGNEE' })]);
    });

    it('rejects an assignee who is not a preparer of the entity', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;

      const toReviewer = await step(id, 'assign', REVIEWER, { assignee: REVIEWER });
      const toOutsider = await step(id, 'assign', REVIEWER, { assignee: OUTSIDER });
      const toNobody = await step(id, 'assign', REVIEWER, { assignee: 'nobody@example.com' });

      for (const response of [toReviewer, toOutsider, toNobody]) {
        expect(response.status).toBe(422);
      }
      expect((await show(id)).status).toBe('open');
    });

    it('rejects a stale revision with 409', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;
      const { revision } = await show(id);
      await step(id, 'assign', REVIEWER, { assignee: PREPARER, revision });

      const stale = await step(id, 'assign', REVIEWER, { assignee: SECOND_PREPARER, revision });

      expect(stale.status).toBe(409);
      expect(stale.body.revision).toBe((revision as number) + 1);
      expect((await show(id)).assignee).toBe(PREPARER);
    });

    it('gives due dates from the severity setting', async () => {
      const dueIn = (days: number) => {
        const due = new Date();
        due.setUTCDate(due.getUTCDate() + days);
        return due.toISOString().slice(0, 10);
      };
      const { ids } = await fresh(['V1']);
      const byDefault = await show(ids[0] ?? '');
      // Written as the owner here; in the product a change request sets it.
      await owner.query(
        `INSERT INTO platform_settings (key, value)
         VALUES ('exceptions.due_days', '{"critical": 3, "high": 5, "medium": 20, "low": 40}')`,
      );
      const changed = await fresh(['V1']).finally(() =>
        owner.query("DELETE FROM platform_settings WHERE key = 'exceptions.due_days'"),
      );

      // duplicate-payments-exact is high severity: 14 days by default.
      expect(byDefault.severity).toBe('high');
      expect(byDefault.dueOn).toBe(dueIn(14));
      expect((await show(changed.ids[0] ?? '')).dueOn).toBe(dueIn(5));
    });
  });

  describe('separation of duties', () => {
    const sodEvents = async (id: string, rule: string) =>
      (await auditEvents(testApp, owner, 'access.sod_violation')).filter(
        (event) => event.target_id === id && event.reason_code === rule,
      );

    it('refuses approval by the proposer, and audits it', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;
      await step(id, 'assign', REVIEWER, { assignee: DUAL });
      await step(id, 'propose', DUAL, { disposition: 'false_positive', rationale: 'Mine.' });

      const approval = await step(id, 'approve', DUAL);
      const returned = await step(id, 'return', DUAL, { comment: 'Withdrawn.' });

      expect(approval.status).toBe(403);
      expect(approval.body.code).toBe('SOD_PROPOSER_CANNOT_APPROVE');
      expect(returned.status).toBe(403);
      expect(await sodEvents(id, 'SOD_PROPOSER_CANNOT_APPROVE')).toHaveLength(2);
      expect((await show(id)).status).toBe('proposed');
    });

    it('refuses review by an earlier preparer of the exception', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;
      // DUAL worked on it first, then handed it to PREPARER, who proposed.
      await step(id, 'assign', REVIEWER, { assignee: DUAL });
      await step(id, 'assign', REVIEWER, { assignee: PREPARER });
      await step(id, 'propose', PREPARER, { disposition: 'remediated', rationale: 'Refunded.' });

      const approval = await step(id, 'approve', DUAL);

      expect(approval.status).toBe(403);
      expect(approval.body.code).toBe('SOD_PREPARER_CANNOT_REVIEW');
      expect(await sodEvents(id, 'SOD_PREPARER_CANNOT_REVIEW')).toHaveLength(1);
    });

    it('refuses the risk approval by the reviewer who approved it', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;
      await proposed(id, 'risk_accepted');
      await step(id, 'approve', DUAL);

      const acceptance = await step(id, 'accept-risk', DUAL);

      expect(acceptance.status).toBe(403);
      expect(acceptance.body.code).toBe('SOD_RISK_APPROVER_DISTINCT');
      expect(await sodEvents(id, 'SOD_RISK_APPROVER_DISTINCT')).toHaveLength(1);
      expect((await show(id)).status).toBe('proposed');
    });

    it('keeps the rules in the database too', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;
      await proposed(id, 'false_positive');

      await expect(
        owner.query(
          `UPDATE exceptions SET status = 'closed', closed_at = now(), reviewed_by = proposed_by,
                  reviewed_at = now() WHERE id = $1`,
          [id],
        ),
      ).rejects.toThrow('exceptions_proposer_not_reviewer_check');
    });
  });

  describe('scope', () => {
    it('hides exceptions from a reviewer outside their entity', async () => {
      const { ids, entityCode } = await fresh(['V1']);
      const [id = ''] = ids;
      await proposed(id, 'false_positive');

      const read = await call('GET', `/api/v1/exceptions/${id}`, OUTSIDER);
      const approval = await step(id, 'approve', OUTSIDER);
      const listing = await call('GET', `/api/v1/exceptions?entity=${entityCode}`, OUTSIDER);

      expect(read.status).toBe(404);
      expect(approval.status).toBe(404);
      expect(listing.status).toBe(404);
      expect((await show(id)).status).toBe('proposed');
    });

    it('lets a reader see but not change an exception', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;

      const read = await call('GET', `/api/v1/exceptions/${id}`, READER);
      const assign = await step(id, 'assign', READER, { assignee: PREPARER });

      expect(read.status).toBe(200);
      expect(assign.status).toBe(403);
    });
  });

  describe('recurrence', () => {
    it('reopens a remediated exception when its key comes back, and keeps others closed', async () => {
      const { ids, entityCode } = await fresh(['V1', 'V2']);
      const [remediated = '', falsePositive = ''] = ids;
      await proposed(remediated, 'remediated');
      await step(remediated, 'approve', REVIEWER);
      await proposed(falsePositive, 'false_positive');
      await step(falsePositive, 'approve', REVIEWER);

      const laterRun = await runDuplicatePayments(testApp, admin, entityCode, ['V1', 'V2']);

      const reopened = await show(remediated);
      expect(reopened).toMatchObject({
        status: 'open',
        disposition: null,
        assignee: null,
        reopenedRunId: laterRun,
      });
      const history = reopened.history as {
        action: string;
        runId: string | null;
        actor: string | null;
      }[];
      expect(history.at(-1)).toMatchObject({ action: 'reopened', runId: laterRun, actor: null });
      expect(await show(falsePositive)).toMatchObject({
        status: 'closed',
        disposition: 'false_positive',
        lastRunId: laterRun,
      });
      const occurrences = await owner.query<{ exception_id: string; occurrence: string }>(
        'SELECT exception_id, occurrence FROM run_exceptions WHERE run_id = $1',
        [laterRun],
      );
      expect(
        Object.fromEntries(occurrences.rows.map((row) => [row.exception_id, row.occurrence])),
      ).toEqual({
        [remediated]: 'reopened',
        [falsePositive]: 'recurring',
      });
      const audited = (await auditEvents(testApp, owner, 'exception.reopened')).filter(
        (event) => event.target_id === remediated,
      );
      expect(audited).toHaveLength(1);
    });

    it('closes nothing after a run over other data or another field map', async () => {
      const { ids, entityCode } = await fresh(['V1', 'V2']);
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'peytonix-other-')), 'tiny.csv');
      writeFileSync(file, duplicatePaymentsCsv(['V9']));
      await testApp.services.datasets.importFile(admin, {
        entityCode,
        datasetName: 'Tiny payments',
        filePath: file,
        fileName: 'tiny.csv',
      });
      const request = async (inputs: Record<string, { dataset: string }>, fieldMap = {}) => {
        const { runId } = await testApp.services.runs.request(admin, {
          entityCode,
          test: 'duplicate-payments-exact',
          inputs,
          fieldMap,
          parameters: {},
          preview: false,
          via: 'api',
        });
        return await testApp.services.runs.execute(runId, (await actorId(ADMIN)) ?? '');
      };

      const otherData = await request({ payments: { dataset: 'Tiny payments' } });
      const otherMap = await request(
        { payments: { dataset: 'Payments' } },
        { 'payments.invoice_number': 'payment_date' },
      );

      expect(otherData?.carryOver?.closed).toBe(0);
      expect(otherMap?.carryOver?.closed).toBe(0);
      for (const id of ids) expect((await show(id)).status).toBe('open');
    });

    it('closes open exceptions a run no longer finds but leaves work in progress', async () => {
      const { ids, entityCode } = await fresh(['V1', 'V2']);
      const [untouched = '', inProgress = ''] = ids;
      await step(inProgress, 'assign', REVIEWER, { assignee: PREPARER });

      const laterRun = await runDuplicatePayments(testApp, admin, entityCode, ['V3']);

      expect(await show(untouched)).toMatchObject({ status: 'closed', closedRunId: laterRun });
      expect(await show(inProgress)).toMatchObject({ status: 'in_progress', closedRunId: null });
    });
  });

  describe('comments', () => {
    it('keeps every version of an edited comment', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;

      const first = await call('POST', `/api/v1/exceptions/${id}/comments`, PREPARER, {
        body: 'Asked the vendor.',
      });
      const threadId = first.body.threadId as string;
      const edit = await call(
        'POST',
        `/api/v1/exceptions/${id}/comments/${threadId}/versions`,
        PREPARER,
        { body: 'Asked the vendor on 3 March.' },
      );
      const foreignEdit = await call(
        'POST',
        `/api/v1/exceptions/${id}/comments/${threadId}/versions`,
        SECOND_PREPARER,
        { body: 'Overwritten.' },
      );

      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({ threadId: first.body.id, version: 1 });
      expect(edit.body).toMatchObject({ threadId, version: 2 });
      expect(foreignEdit.status).toBe(403);
      const denials = (await auditEvents(testApp, owner, 'access.denied')).filter(
        (event) => event.target_id === id,
      );
      expect(denials).toEqual([expect.objectContaining({ reason_code: 'NOT_AUTHOR' })]);
      const comments = (await show(id)).comments as { body: string; version: number }[];
      expect(comments.map((comment) => [comment.version, comment.body])).toEqual([
        [1, 'Asked the vendor.'],
        [2, 'Asked the vendor on 3 March.'],
      ]);
    });

    it('rejects changing a stored comment in the database', async () => {
      const { ids } = await fresh(['V1']);
      const [id = ''] = ids;
      await call('POST', `/api/v1/exceptions/${id}/comments`, PREPARER, { body: 'Original.' });

      await expect(
        owner.query(`UPDATE exception_comments SET body = 'Changed.' WHERE exception_id = $1`, [
          id,
        ]),
      ).rejects.toThrow();
      await expect(
        owner.query('DELETE FROM exception_comments WHERE exception_id = $1', [id]),
      ).rejects.toThrow();
    });
  });

  describe('bulk actions', () => {
    it('assigns and proposes many exceptions at once', async () => {
      const { ids } = await fresh(['V1', 'V2', 'V3']);

      const assigned = await call('POST', '/api/v1/exceptions/bulk/assign', REVIEWER, {
        exceptionIds: ids,
        assignee: PREPARER,
      });
      const proposal = await call('POST', '/api/v1/exceptions/bulk/propose', PREPARER, {
        exceptionIds: ids,
        disposition: 'false_positive',
        rationale: 'Instalments billed under one invoice number.',
      });

      expect(assigned.status).toBe(200);
      expect(proposal.body.updated).toEqual(
        ids.map((id) => expect.objectContaining({ id, status: 'proposed' })),
      );
      for (const id of ids) {
        expect(await show(id)).toMatchObject({
          rationale: 'Instalments billed under one invoice number.',
        });
      }
    });

    it('changes nothing when one exception of a bulk action cannot take the step', async () => {
      const { ids } = await fresh(['V1', 'V2']);
      const [first = '', second = ''] = ids;
      await step(first, 'assign', REVIEWER, { assignee: PREPARER });

      const proposal = await call('POST', '/api/v1/exceptions/bulk/propose', PREPARER, {
        exceptionIds: [first, second],
        disposition: 'false_positive',
        rationale: 'All the same.',
      });

      expect(proposal.status).toBe(409);
      expect((await show(first)).status).toBe('in_progress');
      expect((await show(second)).status).toBe('open');
    });
  });

  describe('listing', () => {
    it('filters by status, assignee, severity and text, and pages', async () => {
      const { ids, entityCode } = await fresh(['V1', 'V2', 'V3']);
      const [first = '', second = ''] = ids;
      await step(first, 'assign', REVIEWER, { assignee: PREPARER });
      const list = async (query: string, user = PREPARER) =>
        (await call('GET', `/api/v1/exceptions?entity=${entityCode}&${query}`, user)).body;

      const mine = await list('assignee=me');
      const unassigned = await list('assignee=none&status=open');
      const high = await list('severity=high,critical');
      const low = await list('severity=low');
      const byText = await list('q=v2');
      const firstPage = await list('limit=2');
      const secondPage = await list(`limit=2&after=${firstPage.next as string}`);
      const badStatus = await call(
        'GET',
        `/api/v1/exceptions?entity=${entityCode}&status=done`,
        PREPARER,
      );
      const badCursor = await call(
        'GET',
        `/api/v1/exceptions?entity=${entityCode}&after=xyz`,
        PREPARER,
      );

      const idsOf = (page: Record<string, unknown>) =>
        (page.items as { id: string }[]).map((item) => item.id).sort();
      expect(idsOf(mine)).toEqual([first]);
      expect(idsOf(unassigned)).toEqual([ids[1], ids[2]].sort());
      expect(idsOf(high)).toHaveLength(3);
      expect(idsOf(low)).toEqual([]);
      expect(idsOf(byText)).toEqual([second]);
      expect(idsOf(firstPage)).toHaveLength(2);
      expect(idsOf(secondPage)).toHaveLength(1);
      expect(secondPage.next).toBeNull();
      expect([...idsOf(firstPage), ...idsOf(secondPage)].sort()).toEqual([...ids].sort());
      expect(badStatus.status).toBe(400);
      expect(badCursor.status).toBe(400);
      const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      for (const forged of [
        cursor(['2026-01-01', '-'.repeat(36)]),
        cursor(['1', '00000000-0000-0000-0000-000000000000']),
        cursor(['-271821-04-20T00:00:00.000000Z', '00000000-0000-0000-0000-000000000000']),
      ]) {
        const response = await call(
          'GET',
          `/api/v1/exceptions?entity=${entityCode}&after=${forged}`,
          PREPARER,
        );
        expect(response.status, forged).toBe(400);
      }
      const nul = await call('GET', `/api/v1/exceptions?entity=${entityCode}&q=%00`, PREPARER);
      expect(nul.status).toBe(400);
    });

    it('lists a run’s exceptions only', async () => {
      const { runId, entityCode, ids } = await fresh(['V1', 'V2']);

      const byRun = await call('GET', `/api/v1/exceptions?entity=AP&run=${runId}`, PREPARER);
      const byTest = await call(
        'GET',
        `/api/v1/exceptions?entity=${entityCode}&test=duplicate-payments-exact`,
        PREPARER,
      );

      expect((byRun.body.items as { id: string }[]).map((item) => item.id).sort()).toEqual(
        [...ids].sort(),
      );
      expect(byTest.body.items).toHaveLength(2);
    });
  });

  describe('sign-offs', () => {
    const signOff = (level: 'preparer' | 'reviewer', runId: string, user: string) =>
      call('POST', `/api/v1/sign-offs/${level}`, user, { targetType: 'run', target: runId });
    const listing = async (runId: string) =>
      (await call('GET', `/api/v1/sign-offs?targetType=run&target=${runId}`, REVIEWER)).body as {
        currentSha256: string;
        signOffs: { id: string; level: string; state: string; contentSha256: string }[];
      };

    it('signs a run as preparer then reviewer, and makes its exceptions read-only', async () => {
      const { ids, runId } = await fresh(['V1', 'V2']);
      const [first = '', second = ''] = ids;
      await proposed(first, 'false_positive');
      await step(first, 'approve', REVIEWER);
      expect((await show(second)).signedOff).toBeNull();

      const early = await signOff('reviewer', runId, REVIEWER);
      const prepared = await signOff('preparer', runId, PREPARER);
      const ownReview = await signOff('reviewer', runId, DUAL);
      const reviewed = await signOff('reviewer', runId, REVIEWER);
      const blocked = await step(second, 'assign', REVIEWER, { assignee: PREPARER });
      const comment = await call('POST', `/api/v1/exceptions/${second}/comments`, PREPARER, {
        body: 'A note after sign-off.',
      });

      expect(early.status).toBe(409);
      expect(prepared.status, JSON.stringify(prepared.body)).toBe(201);
      expect(prepared.body).toMatchObject({
        level: 'preparer',
        signedBy: PREPARER,
        state: 'current',
      });
      expect(ownReview.status).toBe(201);
      expect(reviewed.status).toBe(409);
      expect(blocked.status).toBe(409);
      expect(blocked.body.code).toBe('SIGNED_OFF');
      expect(comment.status).toBe(201);
      const { signedOff } = (await show(second)) as {
        signedOff: { signOffId: string; targetType: string; targetId: string };
      };
      expect(signedOff).toMatchObject({ targetType: 'run', targetId: runId });
      expect([prepared.body.id, ownReview.body.id]).toContain(signedOff.signOffId);
      const signed = await listing(runId);
      expect(signed.signOffs.map((item) => [item.level, item.state])).toEqual([
        ['reviewer', 'current'],
        ['preparer', 'current'],
      ]);
      expect(signed.signOffs[0]?.contentSha256).toBe(signed.currentSha256);
    });

    it('refuses a reviewer sign-off by someone who prepared its exceptions', async () => {
      const { ids, runId } = await fresh(['V1']);
      await step(ids[0] ?? '', 'assign', REVIEWER, { assignee: DUAL });
      await signOff('preparer', runId, PREPARER);

      const review = await signOff('reviewer', runId, DUAL);

      expect(review.status).toBe(403);
      expect(review.body.code).toBe('SOD_PREPARER_CANNOT_REVIEW');
    });

    it('keeps a signed run’s exceptions read-only after a later run', async () => {
      const { ids, runId, entityCode } = await fresh(['V1', 'V2']);
      await signOff('preparer', runId, PREPARER);

      // The same extract again: both keys recur, and the later run is now their last.
      const laterRun = await runDuplicatePayments(testApp, admin, entityCode, ['V1', 'V2']);
      const assign = await step(ids[0] ?? '', 'assign', REVIEWER, { assignee: PREPARER });

      expect((await show(ids[0] ?? '')).lastRunId).toBe(laterRun);
      expect(assign.body.code).toBe('SIGNED_OFF');
    });

    it('lets no run close the exceptions of a signed run', async () => {
      const { ids, runId, entityCode } = await fresh(['V1', 'V2']);
      await signOff('preparer', runId, PREPARER);

      await runDuplicatePayments(testApp, admin, entityCode, ['V3']);

      for (const id of ids) expect((await show(id)).status).toBe('open');
    });

    it('refuses a reviewer sign-off by the preparer who signed', async () => {
      const { runId } = await fresh(['V1']);
      await signOff('preparer', runId, DUAL);

      const own = await signOff('reviewer', runId, DUAL);

      expect(own.status).toBe(403);
      expect(own.body.code).toBe('SOD_PREPARER_CANNOT_REVIEW');
    });

    it('marks a sign-off stale when a later run changes the signed exceptions', async () => {
      const { ids, runId, entityCode } = await fresh(['V1', 'V2']);
      const [remediated = ''] = ids;
      await proposed(remediated, 'remediated');
      await step(remediated, 'approve', REVIEWER);
      await signOff('preparer', runId, PREPARER);
      await signOff('reviewer', runId, REVIEWER);
      const before = await listing(runId);

      // The later run flags V1 again, so the remediated exception reopens.
      await runDuplicatePayments(testApp, admin, entityCode, ['V1', 'V2']);

      const after = await listing(runId);
      expect(before.signOffs.map((item) => item.state)).toEqual(['current', 'current']);
      expect(after.signOffs.map((item) => item.state)).toEqual(['stale', 'stale']);
      expect(after.currentSha256).not.toBe(before.currentSha256);
      expect(after.signOffs[0]?.contentSha256).toBe(before.currentSha256);
      const resigned = await signOff('preparer', runId, PREPARER);
      expect(resigned.status).toBe(201);
      expect(resigned.body).toMatchObject({ state: 'current' });
    });

    it('lets a reviewer withdraw sign-offs so the item can change', async () => {
      const { ids, runId } = await fresh(['V1']);
      const [id = ''] = ids;
      const prepared = await signOff('preparer', runId, PREPARER);

      const byPreparer = await call(
        'POST',
        `/api/v1/sign-offs/${prepared.body.id as string}/withdraw`,
        PREPARER,
        { reason: 'Found a mistake.' },
      );
      const withdrawn = await call(
        'POST',
        `/api/v1/sign-offs/${prepared.body.id as string}/withdraw`,
        REVIEWER,
        { reason: 'V1 needs another look.' },
      );
      const assigned = await step(id, 'assign', REVIEWER, { assignee: PREPARER });

      expect(byPreparer.status).toBe(403);
      expect(withdrawn.status).toBe(200);
      expect((await listing(runId)).signOffs).toEqual([
        expect.objectContaining({ state: 'withdrawn', withdrawalReason: 'V1 needs another look.' }),
      ]);
      expect(assigned.status).toBe(200);
      const events = (await auditEvents(testApp, owner, 'signoff.withdrawn')).filter(
        (event) => event.target_id === runId,
      );
      expect(events).toHaveLength(1);
    });

    it('rejects changing a sign-off in the database, except withdrawing it once', async () => {
      const { runId } = await fresh(['V1']);
      const prepared = await signOff('preparer', runId, PREPARER);

      await expect(
        owner.query(`UPDATE sign_offs SET content_sha256 = sha256('forged') WHERE id = $1`, [
          prepared.body.id,
        ]),
      ).rejects.toThrow('can only be withdrawn, once');
      await expect(
        owner.query('DELETE FROM sign_offs WHERE id = $1', [prepared.body.id]),
      ).rejects.toThrow('cannot be deleted');
    });

    it('signs an engagement and keeps its exceptions read-only', async () => {
      const { ids, entityCode } = await fresh(['V1']);
      const [id = ''] = ids;

      const prepared = await call('POST', '/api/v1/sign-offs/preparer', PREPARER, {
        targetType: 'engagement',
        target: entityCode,
      });
      const notEngagement = await call('POST', '/api/v1/sign-offs/preparer', PREPARER, {
        targetType: 'engagement',
        target: 'AP',
      });
      const blocked = await step(id, 'assign', REVIEWER, { assignee: PREPARER });

      expect(prepared.status, JSON.stringify(prepared.body)).toBe(201);
      expect(notEngagement.status).toBe(422);
      expect(blocked.body.code).toBe('SIGNED_OFF');
    });
  });

  describe('retest', () => {
    it('links a new run to remediated exceptions and shows whether each came back', async () => {
      const { ids, entityCode } = await fresh(['V1', 'V2']);
      const [fixed = '', stillThere = ''] = ids;
      for (const id of ids) await step(id, 'assign', REVIEWER, { assignee: PREPARER });
      // The next extract no longer has the V1 duplicate; V0 takes its invoice number and amount.
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'peytonix-retest-')), 'payments.csv');
      writeFileSync(file, duplicatePaymentsCsv(['V0', 'V2']));
      await testApp.services.datasets.importFile(admin, {
        entityCode,
        datasetName: 'Payments',
        filePath: file,
        fileName: 'payments.csv',
      });
      const requested = await call('POST', '/api/v1/exceptions/retest', PREPARER, {
        exceptionIds: ids,
        inputs: { payments: { dataset: 'Payments' } },
      });
      const runId = requested.body.runId as string;
      const pending = (await show(fixed)).retests;
      await testApp.services.runs.execute(runId, (await actorId(PREPARER)) ?? '');

      expect(requested.status, JSON.stringify(requested.body)).toBe(202);
      expect(pending).toEqual([expect.objectContaining({ runId, result: 'pending' })]);
      expect((await show(fixed)).retests).toEqual([
        expect.objectContaining({ runId, result: 'absent', requestedBy: PREPARER }),
      ]);
      expect((await show(stillThere)).retests).toEqual([
        expect.objectContaining({ runId, result: 'present' }),
      ]);
      const history = (await show(fixed)).history as { action: string; runId: string | null }[];
      expect(history).toContainEqual(
        expect.objectContaining({ action: 'retest_requested', runId }),
      );
    });

    it('rejects a retest across two tests', async () => {
      const first = await fresh(['V1']);
      const second = await fresh(['V1']);

      const requested = await call('POST', '/api/v1/exceptions/retest', PREPARER, {
        exceptionIds: [first.ids[0], second.ids[0]],
      });

      expect(requested.status).toBe(400);
      expect(requested.body.detail).toContain('same test');
    });
  });

  const actorId = async (email: string) =>
    (await owner.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email])).rows[0]
      ?.id;
});
