import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteModule } from '../../src/app.ts';
import {
  isPermission,
  type Permission,
  ROLES,
  type Role,
  roleHolds,
} from '../../src/modules/access/permissions.ts';
import { createCheckpoint } from '../../src/modules/audit-trail/checkpoints/create-checkpoint.ts';
import type { Actor } from '../../src/modules/identity/actor.ts';
import { createEntityDirectly, grantRoleDirectly } from '../support/entity-fixtures.ts';
import { type SeededEvidenceState, seedEvidence } from '../support/matrix-evidence.ts';
import {
  copyRun,
  type SeededException,
  seedComment,
  seedException,
} from '../support/matrix-exceptions.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

/**
 * The authorization matrix: every route that declares a catalogue
 * permission, called by every role, on a target in the caller's scope, on
 * one outside it, and by a user with no grant at all. The expected answer
 * comes from the catalogue alone:
 *
 * - no grant anywhere, or no role holding the permission: 403;
 * - the permission on a target in scope: the route's success status;
 * - the permission, target outside the scope: 404, exactly as if missing;
 * - lists: success, and nothing from outside the scope in the body;
 * - organization-wide routes (users, settings): the permission on the
 *   organization root succeeds, and the permission only on a subtree is 403.
 *
 * The routes come from the app's own route table, so a new route without a
 * case below fails this test.
 */

type Scope = 'in' | 'out';

interface World {
  app: FastifyInstance;
  owner: pg.Client;
  testApp: TestApp;
  /** Entity ids by code: ORG, IN, IN-ENG, OUT, OUT-ENG. */
  entities: Record<string, string>;
  runs: Record<Scope, string>;
  auditSeq: Record<Scope, number>;
  checkpoints: [number, number];
  seeder: Actor;
  author: Actor;
}

interface RouteCase {
  kind: 'target' | 'list' | 'organization';
  success: number;
  /** Build the request; target routes get the scope of the target to use. */
  request(world: World, scope: Scope): Promise<{ url: string; body?: unknown }>;
  /** For lists: true when the body shows something of the OUT subtree. */
  leaksOutside?(world: World, body: string): boolean;
}

const ENGAGEMENT: Record<Scope, string> = { in: 'IN-ENG', out: 'OUT-ENG' };
const PAYMENTS_CSV =
  'vendor_id,invoice_number,amount,payment_date\nV1,A1,10.00,2024-01-01\nV1,A1,10.00,2024-01-02\n';
const JUSTIFICATION = 'authorization matrix';
const SEEDER = 'seeder@matrix.example.com';
/** A disposition the seeder proposed, waiting for a reviewer. */
const PROPOSED: SeededException = {
  status: 'proposed',
  assignee: SEEDER,
  disposition: 'false_positive',
  proposedBy: SEEDER,
};
/** A risk acceptance that a reviewer approved, waiting for management. */
const RISK_REVIEWED: SeededException = {
  status: 'proposed',
  assignee: SEEDER,
  disposition: 'risk_accepted',
  proposedBy: SEEDER,
  reviewedBy: 'reviewer-root@matrix.example.com',
};
/** A test definition as `peytonix tests import` reads it; each import drafts a new version. */
const MATRIX_TEST = {
  key: 'matrix-activation',
  name: 'Matrix activation',
  severity: 'low',
  inputs: [
    {
      name: 'payments',
      description: 'Vendor payments.',
      fields: [{ name: 'amount', type: 'decimal', description: 'Amount paid.', required: true }],
    },
  ],
  keyColumns: ['amount'],
  sql: 'SELECT DISTINCT amount FROM payments',
};

let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}`;

async function freshUser(world: World, prefix = 'subject'): Promise<string> {
  const email = `${unique(prefix)}@matrix.example.com`;
  const result = await world.owner.query<{ id: string }>(
    'INSERT INTO users (email, display_name) VALUES ($1, $1) RETURNING id',
    [email],
  );
  return result.rows[0]?.id ?? '';
}

/** A new leaf engagement below the scope's engagement, for routes that consume one. */
async function freshEntity(world: World, scope: Scope): Promise<string> {
  return await createEntityDirectly(world.testApp.ownerUrl, {
    code: unique(`LEAF-${scope}-`),
    parentCode: ENGAGEMENT[scope],
    type: 'engagement',
  });
}

/** A pending entity move in the scope, requested by someone other than any caller. */
async function pendingRequest(world: World, scope: Scope): Promise<string> {
  const leaf = await freshEntity(world, scope);
  const response = await world.app.inject({
    method: 'POST',
    url: `/api/v1/entities/${leaf}/move-requests`,
    headers: { 'x-test-user': 'author@matrix.example.com' },
    payload: { newParentCode: scope === 'in' ? 'IN' : 'OUT', justification: JUSTIFICATION },
  });
  if (response.statusCode !== 201) throw new Error(`move request fixture: ${response.body}`);
  return (response.json() as { id: string }).id;
}

async function diffOf(world: World, requestId: string): Promise<string> {
  const row = await world.owner.query<{ hex: string }>(
    "SELECT encode(diff_sha256, 'hex') AS hex FROM change_requests WHERE id = $1",
    [requestId],
  );
  return row.rows[0]?.hex ?? '';
}

/** Declare and store a dataset upload on the scope's engagement as the seeder; returns its id. */
async function stagedUpload(world: World, scope: Scope): Promise<string> {
  const declared = await world.testApp.services.datasetUploads.declare(world.seeder, {
    entityCode: ENGAGEMENT[scope],
    datasetName: unique('Matrix staged '),
    fileName: 'payments.csv',
    size: Buffer.byteLength(PAYMENTS_CSV),
    sha256: createHash('sha256').update(PAYMENTS_CSV).digest('hex'),
  });
  const { rows } = await world.owner.query<{ object_key: string }>(
    'SELECT object_key FROM dataset_uploads WHERE id = $1',
    [declared.uploadId],
  );
  const storage = await world.testApp.services.storage();
  await storage.put(rows[0]?.object_key ?? '', Buffer.from(PAYMENTS_CSV));
  return declared.uploadId;
}

/** Insert an evidence item on the scope's engagement, declared by the seeder, in `state`. */
async function evidenceIn(world: World, scope: Scope, state: SeededEvidenceState) {
  return await seedEvidence(world.owner, await world.testApp.services.storage(), {
    engagementCode: ENGAGEMENT[scope],
    declaredBy: SEEDER,
    state,
  });
}

const mentionsOut = (_world: World, body: string) => /OUT-ENG|"OUT"/.test(body);
const mentionsOutIds = (world: World, body: string) =>
  [world.entities.OUT, world.entities['OUT-ENG']].some((id) => id && body.includes(id));

const CASES: Record<string, RouteCase> = {
  'GET /api/v1/entities': {
    kind: 'list',
    success: 200,
    request: async () => ({ url: '/api/v1/entities' }),
    leaksOutside: mentionsOut,
  },
  'POST /api/v1/entities': {
    kind: 'target',
    success: 201,
    request: async (_world, scope) => ({
      url: '/api/v1/entities',
      body: {
        parentCode: ENGAGEMENT[scope],
        type: 'engagement',
        code: unique(`NEW-${scope}-`),
        name: 'Created by the matrix',
      },
    }),
  },
  'PATCH /api/v1/entities/:id': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/entities/${await freshEntity(world, scope)}`,
      body: { name: unique('Renamed ') },
    }),
  },
  'POST /api/v1/entities/:id/archive': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/entities/${await freshEntity(world, scope)}/archive`,
    }),
  },
  'POST /api/v1/entities/:id/move-requests': {
    kind: 'target',
    success: 201,
    request: async (world, scope) => ({
      url: `/api/v1/entities/${await freshEntity(world, scope)}/move-requests`,
      body: { newParentCode: scope === 'in' ? 'IN' : 'OUT', justification: JUSTIFICATION },
    }),
  },
  'GET /api/v1/grants': {
    kind: 'list',
    success: 200,
    request: async () => ({ url: '/api/v1/grants' }),
    leaksOutside: mentionsOutIds,
  },
  'POST /api/v1/grant-requests': {
    kind: 'target',
    success: 201,
    // The administrator caller has that role there, so the request passes separation of duties.
    request: async (world, scope) => ({
      url: '/api/v1/grant-requests',
      body: {
        userId: await freshUser(world),
        role: 'administrator',
        entityCode: ENGAGEMENT[scope],
        justification: JUSTIFICATION,
      },
    }),
  },
  'POST /api/v1/grants/:id/revoke-requests': {
    kind: 'target',
    success: 201,
    request: async (world, scope) => {
      const userId = await freshUser(world);
      const grant = await world.owner.query<{ id: string }>(
        `INSERT INTO role_grants (user_id, role, entity_id) VALUES ($1, 'administrator', $2)
         RETURNING id`,
        [userId, world.entities[ENGAGEMENT[scope]]],
      );
      return {
        url: `/api/v1/grants/${grant.rows[0]?.id}/revoke-requests`,
        body: { justification: JUSTIFICATION },
      };
    },
  },
  'GET /api/v1/change-requests': {
    kind: 'list',
    success: 200,
    request: async () => ({ url: '/api/v1/change-requests' }),
    leaksOutside: mentionsOutIds,
  },
  'GET /api/v1/change-requests/:id': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/change-requests/${await pendingRequest(world, scope)}`,
    }),
  },
  'POST /api/v1/change-requests/:id/approve': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => {
      const id = await pendingRequest(world, scope);
      return {
        url: `/api/v1/change-requests/${id}/approve`,
        body: { diffSha256: await diffOf(world, id) },
      };
    },
  },
  'POST /api/v1/change-requests/:id/reject': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/change-requests/${await pendingRequest(world, scope)}/reject`,
      body: { note: 'Rejected by the matrix.' },
    }),
  },
  'GET /api/v1/settings': {
    kind: 'organization',
    success: 200,
    request: async () => ({ url: '/api/v1/settings' }),
  },
  'POST /api/v1/settings/:key/change-requests': {
    kind: 'organization',
    success: 201,
    request: async () => ({
      url: '/api/v1/settings/change_requests.ttl_hours/change-requests',
      body: { value: 24 + (++counter % 500), justification: JUSTIFICATION },
    }),
  },
  'GET /api/v1/users': {
    kind: 'organization',
    success: 200,
    request: async () => ({ url: '/api/v1/users' }),
  },
  'POST /api/v1/users': {
    kind: 'organization',
    success: 201,
    request: async () => ({
      url: '/api/v1/users',
      body: { email: `${unique('new')}@matrix.example.com`, displayName: 'New user' },
    }),
  },
  'POST /api/v1/users/:id/suspend': {
    kind: 'organization',
    success: 200,
    request: async (world) => ({ url: `/api/v1/users/${await freshUser(world)}/suspend` }),
  },
  'POST /api/v1/users/:id/reactivate': {
    kind: 'organization',
    success: 200,
    request: async (world) => {
      const userId = await freshUser(world);
      await world.owner.query("UPDATE users SET status = 'suspended' WHERE id = $1", [userId]);
      return { url: `/api/v1/users/${userId}/reactivate` };
    },
  },
  'POST /api/v1/users/:id/deprovision': {
    kind: 'organization',
    success: 200,
    request: async (world) => ({ url: `/api/v1/users/${await freshUser(world)}/deprovision` }),
  },
  'POST /api/v1/users/:id/revoke-sessions': {
    kind: 'organization',
    success: 200,
    request: async (world) => ({
      url: `/api/v1/users/${await freshUser(world)}/revoke-sessions`,
    }),
  },
  'GET /api/v1/audit/events': {
    kind: 'list',
    success: 200,
    request: async () => ({ url: '/api/v1/audit/events?limit=200' }),
    leaksOutside: mentionsOutIds,
  },
  'GET /api/v1/audit/events/:seq/inclusion-proof': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/audit/events/${world.auditSeq[scope]}/inclusion-proof`,
    }),
  },
  'GET /api/v1/audit/checkpoints': {
    kind: 'list',
    success: 200,
    request: async () => ({ url: '/api/v1/audit/checkpoints' }),
    leaksOutside: mentionsOutIds,
  },
  'GET /api/v1/audit/verification': {
    kind: 'list',
    success: 200,
    request: async () => ({ url: '/api/v1/audit/verification' }),
    leaksOutside: mentionsOutIds,
  },
  'GET /api/v1/audit/export': {
    kind: 'organization',
    success: 200,
    request: async () => ({ url: '/api/v1/audit/export' }),
  },
  'GET /api/v1/audit/consistency-proof': {
    kind: 'list',
    success: 200,
    request: async (world) => ({
      url: `/api/v1/audit/consistency-proof?first=${world.checkpoints[0]}&second=${world.checkpoints[1]}`,
    }),
    leaksOutside: mentionsOutIds,
  },
  'GET /api/v1/datasets': {
    kind: 'list',
    success: 200,
    request: async () => ({ url: '/api/v1/datasets' }),
    leaksOutside: mentionsOut,
  },
  'GET /api/v1/datasets/by-name': {
    kind: 'target',
    success: 200,
    request: async (_world, scope) => ({
      url: `/api/v1/datasets/by-name?entity=${ENGAGEMENT[scope]}&name=Payments`,
    }),
  },
  'GET /api/v1/tests': {
    kind: 'list',
    success: 200,
    request: async () => ({ url: '/api/v1/tests' }),
    leaksOutside: mentionsOut,
  },
  'POST /api/v1/runs': {
    kind: 'target',
    success: 202,
    request: async (_world, scope) => ({
      url: '/api/v1/runs',
      body: {
        entity: ENGAGEMENT[scope],
        test: 'duplicate-payments-exact',
        inputs: { payments: { dataset: 'Payments' } },
        preview: true,
      },
    }),
  },
  'POST /api/v1/test-activation-requests': {
    kind: 'target',
    success: 201,
    // A fresh draft each call, so no activation request for it is pending yet.
    request: async (world, scope) => {
      const drafted = await world.testApp.services.testDefinitions.importDraft(
        world.seeder,
        ENGAGEMENT[scope],
        MATRIX_TEST,
      );
      return {
        url: '/api/v1/test-activation-requests',
        body: {
          entity: ENGAGEMENT[scope],
          test: drafted.key,
          version: drafted.version,
          justification: JUSTIFICATION,
        },
      };
    },
  },
  'POST /api/v1/tests/drafts': {
    kind: 'target',
    success: 201,
    request: async (_world, scope) => ({
      url: '/api/v1/tests/drafts',
      body: {
        entity: ENGAGEMENT[scope],
        definition: { ...MATRIX_TEST, key: unique('matrix-draft-') },
      },
    }),
  },
  'GET /api/v1/tests/:key/definition': {
    kind: 'target',
    success: 200,
    request: async (_world, scope) => ({
      url: `/api/v1/tests/duplicate-payments-exact/definition?entity=${ENGAGEMENT[scope]}`,
    }),
  },
  'GET /api/v1/tests/:key/versions': {
    kind: 'target',
    success: 200,
    request: async (_world, scope) => ({
      url: `/api/v1/tests/duplicate-payments-exact/versions?entity=${ENGAGEMENT[scope]}`,
    }),
  },
  'GET /api/v1/runs': {
    kind: 'list',
    success: 200,
    request: async () => ({ url: '/api/v1/runs' }),
    leaksOutside: mentionsOut,
  },
  'POST /api/v1/runs/:id/reperform': {
    kind: 'target',
    success: 202,
    request: async (world, scope) => ({ url: `/api/v1/runs/${world.runs[scope]}/reperform` }),
  },
  'GET /api/v1/runs/:id': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({ url: `/api/v1/runs/${world.runs[scope]}` }),
  },
  'POST /api/v1/runs/:id/cancel': {
    kind: 'target',
    success: 200,
    // A fresh queued run each call, requested by the seeder, so the caller
    // cancels someone else's run. A real run, so the preview cap never applies.
    request: async (world, scope) => {
      const { runId } = await world.testApp.services.runs.request(world.seeder, {
        entityCode: ENGAGEMENT[scope],
        test: 'duplicate-payments-exact',
        inputs: { payments: { dataset: 'Payments' } },
        fieldMap: {},
        parameters: {},
        preview: false,
        via: 'api',
      });
      return { url: `/api/v1/runs/${runId}/cancel` };
    },
  },
  'GET /api/v1/runs/:id/rows': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({ url: `/api/v1/runs/${world.runs[scope]}/rows` }),
  },
  'GET /api/v1/exceptions/export': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/exceptions/export?format=csv&run=${world.runs[scope]}`,
    }),
  },
  'GET /api/v1/exceptions': {
    kind: 'list',
    success: 200,
    request: async () => ({ url: '/api/v1/exceptions?entity=IN' }),
    leaksOutside: (world, body) => body.includes(world.entities['OUT-ENG'] ?? 'OUT-ENG'),
  },
  'GET /api/v1/exceptions/:id': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/exceptions/${await seedException(world.owner, world.runs[scope])}`,
    }),
  },
  'GET /api/v1/exceptions/assignees': {
    kind: 'target',
    success: 200,
    request: async (_world, scope) => ({
      url: `/api/v1/exceptions/assignees?entity=${ENGAGEMENT[scope]}`,
    }),
  },
  'POST /api/v1/exceptions/:id/assign': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/exceptions/${await seedException(world.owner, world.runs[scope])}/assign`,
      body: { assignee: SEEDER },
    }),
  },
  'POST /api/v1/exceptions/:id/propose': {
    kind: 'target',
    success: 200,
    // Only the assignee proposes, and preparer is the one role that may.
    request: async (world, scope) => ({
      url: `/api/v1/exceptions/${await seedException(world.owner, world.runs[scope], {
        status: 'in_progress',
        assignee: callerEmail('preparer', 'in'),
      })}/propose`,
      body: { disposition: 'false_positive', rationale: 'Matrix proposal.' },
    }),
  },
  'POST /api/v1/exceptions/:id/approve': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/exceptions/${await seedException(world.owner, world.runs[scope], PROPOSED)}/approve`,
      body: {},
    }),
  },
  'POST /api/v1/exceptions/:id/return': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/exceptions/${await seedException(world.owner, world.runs[scope], PROPOSED)}/return`,
      body: { comment: 'Matrix return.' },
    }),
  },
  'POST /api/v1/exceptions/:id/accept-risk': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/exceptions/${await seedException(world.owner, world.runs[scope], RISK_REVIEWED)}/accept-risk`,
      body: {},
    }),
  },
  'POST /api/v1/exceptions/:id/decline-risk': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/exceptions/${await seedException(world.owner, world.runs[scope], RISK_REVIEWED)}/decline-risk`,
      body: { comment: 'Matrix decline.' },
    }),
  },
  'POST /api/v1/exceptions/:id/comments': {
    kind: 'target',
    success: 201,
    request: async (world, scope) => ({
      url: `/api/v1/exceptions/${await seedException(world.owner, world.runs[scope])}/comments`,
      body: { body: 'Matrix comment.' },
    }),
  },
  'POST /api/v1/exceptions/:id/comments/:threadId/versions': {
    kind: 'target',
    success: 201,
    // Only the author edits a comment, and preparer is the one role that may comment.
    request: async (world, scope) => {
      const id = await seedException(world.owner, world.runs[scope]);
      const threadId = await seedComment(world.owner, id, callerEmail('preparer', 'in'));
      return {
        url: `/api/v1/exceptions/${id}/comments/${threadId}/versions`,
        body: { body: 'Matrix comment, edited.' },
      };
    },
  },
  'POST /api/v1/exceptions/bulk/assign': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: '/api/v1/exceptions/bulk/assign',
      body: {
        exceptionIds: [
          await seedException(world.owner, world.runs[scope]),
          await seedException(world.owner, world.runs[scope]),
        ],
        assignee: SEEDER,
      },
    }),
  },
  'POST /api/v1/exceptions/bulk/propose': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => {
      const inProgress = {
        status: 'in_progress',
        assignee: callerEmail('preparer', 'in'),
      } as const;
      return {
        url: '/api/v1/exceptions/bulk/propose',
        body: {
          exceptionIds: [
            await seedException(world.owner, world.runs[scope], inProgress),
            await seedException(world.owner, world.runs[scope], inProgress),
          ],
          disposition: 'false_positive',
          rationale: 'Matrix bulk proposal.',
        },
      };
    },
  },
  'POST /api/v1/exceptions/retest': {
    kind: 'target',
    success: 202,
    request: async (world, scope) => ({
      url: '/api/v1/exceptions/retest',
      body: {
        exceptionIds: [await seedException(world.owner, world.runs[scope])],
        inputs: { payments: { dataset: 'Payments' } },
      },
    }),
  },
  'GET /api/v1/sign-offs': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/sign-offs?targetType=run&target=${world.runs[scope]}`,
    }),
  },
  'POST /api/v1/sign-offs/preparer': {
    kind: 'target',
    success: 201,
    request: async (world, scope) => ({
      url: '/api/v1/sign-offs/preparer',
      body: { targetType: 'run', target: await copyRun(world.owner, world.runs[scope]) },
    }),
  },
  'POST /api/v1/sign-offs/reviewer': {
    kind: 'target',
    success: 201,
    // The seeder signs as preparer first, so the caller confirms someone else's work.
    request: async (world, scope) => {
      const runId = await copyRun(world.owner, world.runs[scope]);
      await world.testApp.services.signOffs.sign(world.seeder, {
        targetType: 'run',
        target: runId,
        level: 'preparer',
      });
      return { url: '/api/v1/sign-offs/reviewer', body: { targetType: 'run', target: runId } };
    },
  },
  'POST /api/v1/sign-offs/:id/withdraw': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => {
      const runId = await copyRun(world.owner, world.runs[scope]);
      const signed = await world.testApp.services.signOffs.sign(world.seeder, {
        targetType: 'run',
        target: runId,
        level: 'preparer',
      });
      return { url: `/api/v1/sign-offs/${signed.id}/withdraw`, body: { reason: 'Matrix.' } };
    },
  },
  'POST /api/v1/datasets/uploads': {
    kind: 'target',
    success: 201,
    request: async (_world, scope) => ({
      url: '/api/v1/datasets/uploads',
      body: {
        entity: ENGAGEMENT[scope],
        datasetName: unique('Matrix upload '),
        fileName: 'payments.csv',
        size: Buffer.byteLength(PAYMENTS_CSV),
        sha256: createHash('sha256').update(PAYMENTS_CSV).digest('hex'),
      },
    }),
  },
  'POST /api/v1/datasets/uploads/:id/preview': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/datasets/uploads/${await stagedUpload(world, scope)}/preview`,
      body: {},
    }),
  },
  'POST /api/v1/datasets/uploads/:id/import': {
    kind: 'target',
    success: 201,
    request: async (world, scope) => ({
      url: `/api/v1/datasets/uploads/${await stagedUpload(world, scope)}/import`,
      body: {},
    }),
  },
  'POST /api/v1/evidence/uploads': {
    kind: 'target',
    success: 201,
    request: async (_world, scope) => ({
      url: '/api/v1/evidence/uploads',
      body: {
        subjectType: 'engagement',
        subject: ENGAGEMENT[scope],
        fileName: 'matrix.pdf',
        size: 1024,
        sha256: 'ab'.repeat(32),
        contentType: 'application/pdf',
      },
    }),
  },
  'POST /api/v1/evidence/:id/versions': {
    kind: 'target',
    success: 201,
    request: async (world, scope) => ({
      url: `/api/v1/evidence/${await evidenceIn(world, scope, 'available')}/versions`,
      body: {
        fileName: 'matrix-v2.pdf',
        size: 1024,
        sha256: 'cd'.repeat(32),
        contentType: 'application/pdf',
      },
    }),
  },
  'POST /api/v1/evidence/:id/confirm': {
    kind: 'target',
    success: 200,
    // No clamd runs here, so the confirmed version waits in scan_pending.
    request: async (world, scope) => ({
      url: `/api/v1/evidence/${await evidenceIn(world, scope, 'pending_upload')}/confirm`,
      body: {},
    }),
  },
  'GET /api/v1/evidence': {
    kind: 'target',
    success: 200,
    request: async (_world, scope) => ({
      url: `/api/v1/evidence?subjectType=engagement&subject=${ENGAGEMENT[scope]}`,
    }),
  },
  'GET /api/v1/evidence/policy': {
    kind: 'list',
    success: 200,
    request: async () => ({ url: '/api/v1/evidence/policy' }),
    leaksOutside: () => false,
  },
  'GET /api/v1/evidence/quarantine': {
    kind: 'list',
    success: 200,
    request: async (world) => {
      await evidenceIn(world, 'in', 'quarantined');
      await evidenceIn(world, 'out', 'quarantined');
      return { url: '/api/v1/evidence/quarantine' };
    },
    leaksOutside: mentionsOut,
  },
  'GET /api/v1/evidence/:id': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/evidence/${await evidenceIn(world, scope, 'available')}`,
    }),
  },
  'PATCH /api/v1/evidence/:id/versions/:version': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/evidence/${await evidenceIn(world, scope, 'available')}/versions/1`,
      body: { evidenceDate: { start: '2026-03-31' } },
    }),
  },
  'POST /api/v1/evidence/:id/download': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/evidence/${await evidenceIn(world, scope, 'available')}/download`,
      body: {},
    }),
  },
  'POST /api/v1/evidence/:id/view': {
    kind: 'target',
    success: 200,
    request: async (world, scope) => ({
      url: `/api/v1/evidence/${await evidenceIn(world, scope, 'available')}/view`,
      body: {},
    }),
  },
  'GET /api/v1/exception-summaries/counts': {
    kind: 'target',
    success: 200,
    request: async (_world, scope) => ({
      url: `/api/v1/exception-summaries/counts?entity=${ENGAGEMENT[scope]}`,
    }),
  },
  'GET /api/v1/exception-summaries/ageing': {
    kind: 'target',
    success: 200,
    request: async (_world, scope) => ({
      url: `/api/v1/exception-summaries/ageing?entity=${ENGAGEMENT[scope]}`,
    }),
  },
  'GET /api/v1/exception-summaries/trend': {
    kind: 'target',
    success: 200,
    request: async (_world, scope) => ({
      url: `/api/v1/exception-summaries/trend?entity=${ENGAGEMENT[scope]}&test=duplicate-payments-exact`,
    }),
  },
};

interface DeclaredRoute {
  method: string;
  url: string;
  permission: Permission;
}

/** Record every route that declares a catalogue permission. */
function recorder(into: DeclaredRoute[]): RouteModule {
  return (app) => {
    app.addHook('onRoute', (route) => {
      const permission = route.config?.permission;
      const methods = [route.method].flat().filter((method) => method !== 'HEAD');
      if (typeof permission !== 'string' || !isPermission(permission)) return;
      for (const method of methods) into.push({ method, url: route.url, permission });
    });
  };
}

const callerEmail = (role: Role | 'none', placement: 'in' | 'root') =>
  role === 'none' ? 'nobody@matrix.example.com' : `${role}-${placement}@matrix.example.com`;

describe('authorization matrix', () => {
  let database: TestDatabase;
  let world: World;
  const routes: DeclaredRoute[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    const testApp = await startTestApp(database, {
      testUserHeader: true,
      routeModules: [recorder(routes)],
    });
    const owner = new pg.Client({ connectionString: database.ownerUrl });
    await owner.connect();
    const { services } = testApp;

    const first = await services.identity.createFirstAdministrator({
      email: 'root-admin@matrix.example.com',
      displayName: 'Root administrator',
      organizationName: 'Matrix Group',
      organizationCode: 'ORG',
    });
    const entities: Record<string, string> = { ORG: first.organizationId };
    for (const [code, parentCode, type] of [
      ['IN', 'ORG', 'business_unit'],
      ['IN-ENG', 'IN', 'engagement'],
      ['OUT', 'ORG', 'business_unit'],
      ['OUT-ENG', 'OUT', 'engagement'],
    ] as const) {
      entities[code] = await createEntityDirectly(database.ownerUrl, { code, parentCode, type });
    }

    const callers: [string, Role, string][] = [];
    for (const role of ROLES) {
      callers.push([callerEmail(role, 'in'), role, 'IN']);
      callers.push([callerEmail(role, 'root'), role, 'ORG']);
    }
    callers.push(['seeder@matrix.example.com', 'preparer', 'ORG']);
    callers.push(['author@matrix.example.com', 'administrator', 'ORG']);
    await owner.query(
      "INSERT INTO users (email, display_name) SELECT unnest($1::text[]), 'Matrix user'",
      [[...callers.map(([email]) => email), callerEmail('none', 'in')]],
    );
    for (const [email, role, entityCode] of callers) {
      await grantRoleDirectly(database.ownerUrl, { email, role, entityCode });
    }

    const actorOf = async (email: string): Promise<Actor> => ({
      ...(await services.identity.resolveCliActor(email)),
      channel: 'api',
    });
    const seeder = await actorOf('seeder@matrix.example.com');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'peytonix-matrix-')), 'payments.csv');
    writeFileSync(file, PAYMENTS_CSV);
    const runs = { in: '', out: '' };
    for (const scope of ['in', 'out'] as const) {
      await services.datasets.importFile(seeder, {
        entityCode: ENGAGEMENT[scope],
        datasetName: 'Payments',
        filePath: file,
        fileName: 'payments.csv',
      });
      const { runId } = await services.runs.request(seeder, {
        entityCode: ENGAGEMENT[scope],
        test: 'duplicate-payments-exact',
        inputs: { payments: { dataset: 'Payments' } },
        fieldMap: {},
        parameters: {},
        preview: false,
        via: 'api',
      });
      await services.runs.execute(runId, seeder.type === 'user' ? seeder.userId : '');
      runs[scope] = runId;
    }

    const key = await testApp.checkpointKey();
    const firstCheckpoint = await createCheckpoint(testApp.database.db, key);
    await services.securityEvents.record({
      actor: seeder,
      action: 'audit.events_searched',
      outcome: 'success',
      details: { fixture: randomUUID() },
    });
    const secondCheckpoint = await createCheckpoint(testApp.database.db, key);
    const seqOf = async (entityId: string | undefined) => {
      const row = await owner.query<{ seq: string }>(
        "SELECT min(seq)::text AS seq FROM audit_events WHERE entity_id = $1 AND action = 'dataset.version_imported'",
        [entityId],
      );
      return Number(row.rows[0]?.seq);
    };

    world = {
      app: testApp.app,
      owner,
      testApp,
      entities,
      runs,
      auditSeq: {
        in: await seqOf(entities['IN-ENG']),
        out: await seqOf(entities['OUT-ENG']),
      },
      checkpoints: [
        firstCheckpoint?.checkpoint.treeSize ?? 0,
        secondCheckpoint?.checkpoint.treeSize ?? 0,
      ],
      seeder,
      author: await actorOf('author@matrix.example.com'),
    };
  });

  afterAll(async () => {
    await world?.owner.end();
    await world?.testApp.close();
    await database?.drop();
  });

  const call = async (email: string, route: DeclaredRoute, scope: Scope) => {
    const routeCase = CASES[`${route.method} ${route.url}`];
    if (routeCase === undefined) throw new Error(`no case for ${route.method} ${route.url}`);
    const { url, body } = await routeCase.request(world, scope);
    return await world.app.inject({
      method: route.method as 'GET',
      url,
      headers: { 'x-test-user': email },
      ...(body === undefined ? {} : { payload: body as object }),
    });
  };

  it('has a case for every route that declares a permission', () => {
    const missing = routes
      .map((route) => `${route.method} ${route.url}`)
      .filter((key) => CASES[key] === undefined);

    expect(routes.length).toBeGreaterThan(20);
    expect(missing, 'add a case to CASES for each new route').toEqual([]);
  });

  it('answers every role, scope and route as the catalogue says', async () => {
    const failures: string[] = [];
    const check = (label: string, actual: number, expected: number, body: string) => {
      if (actual !== expected)
        failures.push(`${label}: expected ${expected}, got ${actual} ${body.slice(0, 200)}`);
    };
    let checked = 0;

    for (const route of routes) {
      const routeCase = CASES[`${route.method} ${route.url}`];
      if (routeCase === undefined) continue;
      const name = `${route.method} ${route.url} [${route.permission}]`;

      const nobody = await call(callerEmail('none', 'in'), route, 'in');
      check(`${name} without any grant`, nobody.statusCode, 403, nobody.body);
      checked += 1;

      for (const role of ROLES) {
        const permitted = roleHolds(role, route.permission);

        if (routeCase.kind === 'target') {
          for (const scope of ['in', 'out'] as const) {
            const response = await call(callerEmail(role, 'in'), route, scope);
            let expected = 403;
            if (permitted) expected = scope === 'in' ? routeCase.success : 404;
            check(
              `${name} as ${role}, target ${scope} of scope`,
              response.statusCode,
              expected,
              response.body,
            );
            checked += 1;
          }
        } else if (routeCase.kind === 'list') {
          const response = await call(callerEmail(role, 'in'), route, 'in');
          check(
            `${name} as ${role}`,
            response.statusCode,
            permitted ? routeCase.success : 403,
            response.body,
          );
          if (permitted && routeCase.leaksOutside?.(world, response.body)) {
            failures.push(`${name} as ${role} lists something outside its scope`);
          }
          checked += 1;
        } else {
          const atRoot = await call(callerEmail(role, 'root'), route, 'in');
          const inSubtree = await call(callerEmail(role, 'in'), route, 'in');
          check(
            `${name} as ${role} on the root`,
            atRoot.statusCode,
            permitted ? routeCase.success : 403,
            atRoot.body,
          );
          check(`${name} as ${role} on a subtree`, inSubtree.statusCode, 403, inSubtree.body);
          checked += 2;
        }
      }
    }

    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(200);
  });
});
