import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/modules/access/permissions.ts';
import { isLocalObjectStorage } from '../../src/platform/storage/local-object-storage.ts';
import { clamdInstalled, EICAR, startTestClamd, type TestClamd } from '../support/clamd.ts';
import {
  addUsersWithGrants,
  createEntityDirectly,
  seedBusinessUnit,
} from '../support/entity-fixtures.ts';
import {
  pdfBytes,
  type StorageRequest,
  sendStorageRequest,
  sha256Of,
  startTestS3,
  type TestS3,
} from '../support/evidence-fixtures.ts';
import { auditEvents } from '../support/governance-fixtures.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const ADMIN = 'ada@example.com';
const PREPARER = 'pia@example.com';
const READER = 'rob@example.com';
/** A preparer of another business unit. */
const OUTSIDER = 'oscar@example.com';

const GRANTS: [string, Role, string][] = [
  [PREPARER, 'preparer', 'AP'],
  [READER, 'read_only', 'AP'],
  [OUTSIDER, 'preparer', 'OUT'],
];

const KMS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const runClamdTests = clamdInstalled || process.env.CI === 'true';

if (!runClamdTests) {
  process.stderr.write('NOTICE: skipping the evidence tests: /usr/sbin/clamd is not installed\n');
}

type Adapter = 'local' | 's3';

describe.skipIf(!runClamdTests).each<Adapter>(['local', 's3'])(
  'evidence on %s storage',
  (adapter) => {
    let database: TestDatabase;
    let testApp: TestApp;
    let clamd: TestClamd;
    let s3: TestS3 | undefined;
    let owner: pg.Client;
    let engagements = 0;
    const savedEnv = {
      id: process.env.AWS_ACCESS_KEY_ID,
      secret: process.env.AWS_SECRET_ACCESS_KEY,
    };

    beforeAll(async () => {
      if (!clamdInstalled)
        throw new Error('clamd is not installed; .ci/run installs clamav-daemon');
      clamd = await startTestClamd();
      database = await createTestDatabase();
      const env: Record<string, string> = {
        PEYTONIX_CLAMD_ADDRESS: `${clamd.address.host}:${clamd.address.port}`,
        PEYTONIX_CLAMD_TIMEOUT_MS: '5000',
        PEYTONIX_EVIDENCE_MAX_BYTES: String(5 * 1024 * 1024),
      };
      if (adapter === 's3') {
        s3 = await startTestS3();
        process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
        process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
        Object.assign(env, {
          PEYTONIX_STORAGE: 's3',
          PEYTONIX_S3_BUCKET: s3.bucket,
          PEYTONIX_S3_KMS_KEY_ID: KMS_KEY,
          PEYTONIX_AWS_REGION: 'eu-west-1',
          PEYTONIX_S3_ENDPOINT: s3.endpoint,
        });
      }
      testApp = await startTestApp(database, { testUserHeader: true, env });
      await seedBusinessUnit(testApp, {
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
      await addUsersWithGrants(testApp, GRANTS);
      owner = new pg.Client({ connectionString: database.ownerUrl });
      await owner.connect();
    }, 120_000);

    afterAll(async () => {
      await owner?.end();
      await testApp?.close();
      await database?.drop();
      await clamd?.close();
      await s3?.close();
      process.env.AWS_ACCESS_KEY_ID = savedEnv.id;
      process.env.AWS_SECRET_ACCESS_KEY = savedEnv.secret;
      if (savedEnv.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      if (savedEnv.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    });

    const call = async (
      method: 'GET' | 'POST' | 'PATCH',
      url: string,
      user: string,
      payload?: unknown,
    ) => {
      const response = await testApp.app.inject({
        method,
        url,
        headers: { 'x-test-user': user },
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
      return { status: response.statusCode, body: response.json() as Record<string, unknown> };
    };

    /** Create an engagement below AP, so each case has its own evidence. */
    const freshEngagement = async () => {
      engagements += 1;
      const code = `AP-EV${engagements}`;
      await createEntityDirectly(testApp.ownerUrl, { code, parentCode: 'AP', type: 'engagement' });
      return code;
    };

    const declare = async (
      engagement: string,
      file: Buffer,
      overrides: Record<string, unknown> = {},
      user = PREPARER,
    ) =>
      await call('POST', '/api/v1/evidence/uploads', user, {
        subjectType: 'engagement',
        subject: engagement,
        fileName: 'bank-reconciliation.pdf',
        size: file.length,
        sha256: sha256Of(file),
        contentType: 'application/pdf',
        ...overrides,
      });

    const upload = async (declared: Record<string, unknown>, body: Buffer) =>
      await sendStorageRequest(testApp, declared.upload as StorageRequest, body);

    const confirm = async (evidenceId: string, user = PREPARER, version?: number) =>
      await call(
        'POST',
        `/api/v1/evidence/${evidenceId}/confirm`,
        user,
        version === undefined ? {} : { version },
      );

    const download = async (evidenceId: string, user = PREPARER, version?: number) =>
      await call(
        'POST',
        `/api/v1/evidence/${evidenceId}/download`,
        user,
        version === undefined ? {} : { version },
      );

    /** Declare, upload and confirm `file` on a fresh engagement; returns the evidence id. */
    const uploadedEvidence = async (file: Buffer, uploaded: Buffer = file) => {
      const engagement = await freshEngagement();
      const declared = await declare(engagement, file);
      expect(declared.status, JSON.stringify(declared.body)).toBe(201);
      const put = await upload(declared.body, uploaded);
      const evidenceId = declared.body.evidenceId as string;
      return { engagement, evidenceId, put, confirmed: await confirm(evidenceId) };
    };

    const versionOf = (body: Record<string, unknown>, version = 1) =>
      (body.versions as Record<string, unknown>[]).find((entry) => entry.version === version);

    /** Store other bytes under the object key of a version, as someone with bucket access could. */
    const replaceObject = async (evidenceId: string, body: Buffer) => {
      const { rows } = await owner.query<{ object_key: string }>(
        'SELECT object_key FROM evidence_versions WHERE evidence_id = $1 AND version = 1',
        [evidenceId],
      );
      const key = rows[0]?.object_key ?? '';
      const storage = await testApp.services.storage();
      if (isLocalObjectStorage(storage)) {
        await storage.delete(key);
        await storage.put(key, body, { contentType: 'application/pdf' });
        return;
      }
      // s3rver keeps no versions and ignores If-None-Match, so this overwrites the object.
      const client = new S3Client({
        endpoint: s3?.endpoint ?? '',
        forcePathStyle: true,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      });
      await client.send(
        new PutObjectCommand({
          Bucket: s3?.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/pdf',
          Metadata: { sha256: sha256Of(body) },
        }),
      );
    };

    describe('upload flow', () => {
      it('declares, uploads, confirms and downloads', async () => {
        const file = pdfBytes('reconciliation of the operating account, March');
        const engagement = await freshEngagement();

        const declared = await declare(engagement, file, { evidenceDate: { start: '2026-03-31' } });
        expect(declared.status, JSON.stringify(declared.body)).toBe(201);
        expect(declared.body).toMatchObject({ version: 1, state: 'pending_upload' });
        const put = await upload(declared.body, file);
        expect(put.status).toBe(200);

        const evidenceId = declared.body.evidenceId as string;
        const confirmed = await confirm(evidenceId);
        expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
        expect(versionOf(confirmed.body)).toMatchObject({
          state: 'available',
          sha256: sha256Of(file),
          size: file.length,
          evidenceDate: { start: '2026-03-31', end: null },
        });
        expect(versionOf(confirmed.body)?.uploadedAt).not.toBeNull();

        const access = await download(evidenceId, READER);
        expect(access.status, JSON.stringify(access.body)).toBe(200);
        const fetched = await sendStorageRequest(testApp, access.body.request as StorageRequest);
        expect(fetched.status).toBe(200);
        expect(sha256Of(fetched.body)).toBe(sha256Of(file));
        expect(fetched.headers['content-disposition']).toMatch(/^attachment;/);
      });

      it('keys objects by random ids, never by the file name', async () => {
        const file = pdfBytes('key check');
        const engagement = await freshEngagement();

        const declared = await declare(engagement, file, { fileName: 'secret-merger-plan.pdf' });

        const url = (declared.body.upload as StorageRequest).url;
        expect(url).not.toContain('secret-merger-plan');
        expect(url).toMatch(/evidence\/[0-9a-f-]{36}\/[0-9a-f]{32}/);
      });

      it('audits declaration, upload and download', async () => {
        const file = pdfBytes('audited upload');
        const { evidenceId } = await uploadedEvidence(file);
        await download(evidenceId);

        for (const action of [
          'evidence.upload_requested',
          'evidence.uploaded',
          'evidence.downloaded',
        ]) {
          const events = (await auditEvents(testApp, owner, action)).filter(
            (event) => event.target_id === evidenceId,
          );
          expect(events, action).toHaveLength(1);
          expect(events[0]?.outcome, action).toBe('success');
        }
      });

      it('rejects a confirm before the upload', async () => {
        const engagement = await freshEngagement();
        const declared = await declare(engagement, pdfBytes('not uploaded'));

        const confirmed = await confirm(declared.body.evidenceId as string);

        expect(confirmed.status).toBe(409);
        expect(confirmed.body.code).toBe('EVIDENCE_NOT_UPLOADED');
      });

      it('records one outcome for concurrent confirms', async () => {
        const file = pdfBytes('confirmed twice at once', 3 * 1024 * 1024);
        const engagement = await freshEngagement();
        const declared = await declare(engagement, file);
        await upload(declared.body, file);
        const evidenceId = declared.body.evidenceId as string;

        const results = await Promise.all([confirm(evidenceId), confirm(evidenceId)]);

        for (const result of results) {
          expect([200, 409]).toContain(result.status);
          if (result.status === 409) expect(result.body.code).toBe('EVIDENCE_CHECK_IN_PROGRESS');
        }
        const uploaded = (await auditEvents(testApp, owner, 'evidence.uploaded')).filter(
          (event) => event.target_id === evidenceId,
        );
        expect(uploaded).toHaveLength(1);
      });

      it('signs one spelling of the content type', async () => {
        const file = Buffer.from('vendor,amount\nV1,10.00\n');
        const engagement = await freshEngagement();

        const declared = await declare(engagement, file, {
          fileName: 'vendors.csv',
          contentType: ' Text/CSV ;charset="UTF-8"',
        });
        const put = await upload(declared.body, file);
        const confirmed = await confirm(declared.body.evidenceId as string);

        expect(declared.status, JSON.stringify(declared.body)).toBe(201);
        expect((declared.body.upload as StorageRequest).headers['content-type']).toBe(
          'text/csv; charset=utf-8',
        );
        expect(put.status).toBe(200);
        expect(versionOf(confirmed.body)).toMatchObject({
          state: 'available',
          contentType: 'text/csv; charset=utf-8',
        });
      });

      it('gives an AI principal no download URL', async () => {
        const { evidenceId } = await uploadedEvidence(pdfBytes('not for AI'));
        const { rows } = await owner.query<{ id: string }>(
          'SELECT id FROM users WHERE email = $1',
          [PREPARER],
        );
        const ai = { type: 'ai' as const, onBehalfOf: rows[0]?.id ?? '', channel: 'api' as const };

        const refused = await testApp.services.evidence.download(ai, evidenceId, 1).then(
          () => null,
          (error: { code?: string }) => error,
        );
        const shown = await testApp.services.evidence.show(ai, evidenceId);

        expect(refused?.code).toBe('FORBIDDEN');
        expect(shown.versions[0]?.state).toBe('available');
      });

      it('returns a final version unchanged on a second confirm', async () => {
        const { evidenceId } = await uploadedEvidence(pdfBytes('twice'));

        const again = await confirm(evidenceId);

        expect(again.status).toBe(200);
        expect(versionOf(again.body)?.state).toBe('available');
      });
    });

    describe('verification', () => {
      it('rejects bytes that differ from the declared SHA-256', async () => {
        const declaredFile = pdfBytes('declared');
        const otherFile = pdfBytes('uploaded');
        const engagement = await freshEngagement();
        const declared = await declare(engagement, declaredFile);
        const evidenceId = declared.body.evidenceId as string;

        if (adapter === 'local') {
          // The local upload route itself refuses the body.
          const put = await upload(declared.body, otherFile);
          expect(put.status).toBe(400);
          await replaceObject(evidenceId, otherFile);
        } else {
          // s3rver does not check x-amz-checksum-sha256; AWS S3 would refuse the PUT.
          const put = await upload(declared.body, otherFile);
          expect(put.status).toBe(200);
        }
        const confirmed = await confirm(evidenceId);

        expect(versionOf(confirmed.body)).toMatchObject({ state: 'rejected' });
        expect(String(versionOf(confirmed.body)?.rejectionReason)).toMatch(/SHA-256/);
        const { rows } = await owner.query<{ object_key: string }>(
          'SELECT object_key FROM evidence_versions WHERE evidence_id = $1',
          [evidenceId],
        );
        const storage = await testApp.services.storage();
        expect(await storage.head(rows[0]?.object_key ?? '')).toBeNull();
        const events = await auditEvents(testApp, owner, 'evidence.rejected');
        expect(events.find((event) => event.target_id === evidenceId)?.reason_code).toBe(
          'HASH_MISMATCH',
        );
      });

      it('rejects a file whose magic bytes contradict its type', async () => {
        const png = Buffer.concat([
          Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
          Buffer.alloc(512, 1),
        ]);
        const engagement = await freshEngagement();
        const declared = await declare(engagement, png);
        expect(declared.status).toBe(201);
        await upload(declared.body, png);

        const confirmed = await confirm(declared.body.evidenceId as string);

        expect(versionOf(confirmed.body)?.state).toBe('rejected');
        expect(String(versionOf(confirmed.body)?.rejectionReason)).toMatch(/PNG|PDF/);
      });

      it('quarantines EICAR and refuses its download', async () => {
        const eicar = EICAR;
        const engagement = await freshEngagement();
        const declared = await declare(engagement, eicar, {
          fileName: 'notes.txt',
          contentType: 'text/plain',
        });
        expect(declared.status, JSON.stringify(declared.body)).toBe(201);
        await upload(declared.body, eicar);
        const evidenceId = declared.body.evidenceId as string;

        const confirmed = await confirm(evidenceId);
        const refused = await download(evidenceId, ADMIN);
        const viewed = await call('POST', `/api/v1/evidence/${evidenceId}/view`, ADMIN, {});

        expect(versionOf(confirmed.body)).toMatchObject({
          state: 'quarantined',
          scanSignature: expect.stringMatching(/Eicar/i),
        });
        expect(refused.status).toBe(409);
        expect(refused.body.code).toBe('EVIDENCE_NOT_AVAILABLE');
        expect(viewed.status).toBe(409);
        const quarantined = await auditEvents(testApp, owner, 'evidence.quarantined');
        expect(quarantined.some((event) => event.target_id === evidenceId)).toBe(true);
        const refusals = (await auditEvents(testApp, owner, 'evidence.downloaded')).filter(
          (event) => event.target_id === evidenceId,
        );
        expect(refusals.map((event) => event.outcome)).toEqual(['failure']);
      });

      it('lists quarantined files for administrators only', async () => {
        const eicar = EICAR;
        const engagement = await freshEngagement();
        const declared = await declare(engagement, eicar, {
          fileName: 'list.txt',
          contentType: 'text/plain',
        });
        await upload(declared.body, eicar);
        await confirm(declared.body.evidenceId as string);

        const forAdmin = await call('GET', '/api/v1/evidence/quarantine', ADMIN);
        const forPreparer = await call('GET', '/api/v1/evidence/quarantine', PREPARER);

        expect(forAdmin.status).toBe(200);
        expect(
          (forAdmin.body.items as Record<string, unknown>[]).some(
            (item) => item.evidenceId === declared.body.evidenceId && item.fileName === 'list.txt',
          ),
        ).toBe(true);
        expect(forPreparer.status).toBe(403);
      });

      it('waits in scan_pending while clamd is down, then the retry makes it available', async () => {
        const file = pdfBytes('scanned later');
        const engagement = await freshEngagement();
        const declared = await declare(engagement, file);
        await upload(declared.body, file);
        const evidenceId = declared.body.evidenceId as string;

        await clamd.stop();
        let confirmed: Awaited<ReturnType<typeof confirm>>;
        try {
          confirmed = await confirm(evidenceId);
        } finally {
          await clamd.start();
        }
        const refused = await download(evidenceId);
        const early = await confirm(evidenceId);
        // Skip the back-off, which waits a minute before the first retry.
        await owner.query(
          "UPDATE evidence_versions SET next_scan_at = now() WHERE evidence_id = $1 AND state = 'scan_pending'",
          [evidenceId],
        );
        const checked = await testApp.services.evidence.retryScans();
        const after = await call('GET', `/api/v1/evidence/${evidenceId}`, PREPARER);

        expect(versionOf(confirmed.body)).toMatchObject({
          state: 'scan_pending',
          scanError: expect.stringMatching(/unreachable/),
        });
        expect(refused.status).toBe(409);
        expect(versionOf(early.body)?.state).toBe('scan_pending');
        expect(checked).toBeGreaterThanOrEqual(1);
        expect(versionOf(after.body)?.state).toBe('available');
        // The confirm during the back-off scanned nothing, so one scan had no verdict.
        const pending = await auditEvents(testApp, owner, 'evidence.scan_pending');
        expect(pending.filter((event) => event.target_id === evidenceId)).toHaveLength(1);
        const uploaded = (await auditEvents(testApp, owner, 'evidence.uploaded')).find(
          (event) => event.target_id === evidenceId,
        );
        expect(uploaded?.actor_type).toBe('system');
      });

      it('never serves bytes swapped in after the scan', async () => {
        const file = pdfBytes('the scanned original');
        const swapped = pdfBytes('swapped in afterwards');
        const { evidenceId, confirmed } = await uploadedEvidence(file);
        expect(versionOf(confirmed.body)?.state).toBe('available');

        await replaceObject(evidenceId, swapped);
        const access = await download(evidenceId);

        if (access.status === 200) {
          const fetched = await sendStorageRequest(testApp, access.body.request as StorageRequest);
          expect(sha256Of(fetched.body)).not.toBe(sha256Of(swapped));
          expect(fetched.status).not.toBe(200);
        } else {
          expect(access.status).toBe(409);
          expect(access.body.code).toBe('EVIDENCE_CHANGED');
        }
        const refusals = (await auditEvents(testApp, owner, 'evidence.downloaded')).filter(
          (event) => event.target_id === evidenceId && event.outcome === 'failure',
        );
        expect(refusals.map((event) => event.reason_code)).toEqual(['OBJECT_CHANGED']);
      });
    });

    describe('limits', () => {
      it.each([
        ['a file above the maximum size', { size: 6 * 1024 * 1024 }, 'FILE_TOO_LARGE'],
        [
          'an extension outside the allowlist',
          { fileName: 'payroll.exe' },
          'EXTENSION_NOT_ALLOWED',
        ],
        ['an extension of another type', { fileName: 'scan.png' }, 'EXTENSION_MISMATCH'],
        [
          'a content type outside the allowlist',
          { fileName: 'page.html', contentType: 'text/html' },
          'CONTENT_TYPE_NOT_ALLOWED',
        ],
      ])('rejects %s', async (_case, overrides, reason) => {
        const engagement = await freshEngagement();

        const declared = await declare(engagement, pdfBytes('limits'), overrides);

        expect(declared.status).toBe(422);
        expect(declared.body.code).toBe('EVIDENCE_FILE_NOT_ALLOWED');
        expect(declared.body.reason).toBe(reason);
      });

      it('publishes the size limit and file types', async () => {
        const policy = await call('GET', '/api/v1/evidence/policy', PREPARER);

        expect(policy.status).toBe(200);
        expect(policy.body.maxBytes).toBe(5 * 1024 * 1024);
        const fileTypes = policy.body.fileTypes as { contentType: string; extensions: string[] }[];
        expect(fileTypes).toContainEqual(
          expect.objectContaining({ contentType: 'application/pdf', extensions: ['pdf'] }),
        );
        expect(fileTypes.map((type) => type.contentType)).not.toContain('text/html');
      });

      it('rejects a malformed SHA-256', async () => {
        const engagement = await freshEngagement();

        const declared = await declare(engagement, pdfBytes('bad hash'), { sha256: 'abc' });

        expect(declared.status).toBe(400);
      });
    });

    describe('versions and evidence dates', () => {
      it('keeps earlier versions when a new one is uploaded', async () => {
        const first = pdfBytes('first version');
        const second = pdfBytes('second version, corrected');
        const { evidenceId } = await uploadedEvidence(first);

        const declared = await call('POST', `/api/v1/evidence/${evidenceId}/versions`, PREPARER, {
          fileName: 'bank-reconciliation-v2.pdf',
          size: second.length,
          sha256: sha256Of(second),
          contentType: 'application/pdf',
        });
        expect(declared.status, JSON.stringify(declared.body)).toBe(201);
        expect(declared.body.version).toBe(2);
        await upload(declared.body, second);
        const confirmed = await confirm(evidenceId);
        const older = await download(evidenceId, PREPARER, 1);
        const fetched = await sendStorageRequest(testApp, older.body.request as StorageRequest);

        expect(versionOf(confirmed.body, 1)?.state).toBe('available');
        expect(versionOf(confirmed.body, 2)?.state).toBe('available');
        expect(sha256Of(fetched.body)).toBe(sha256Of(first));
      });

      it('adds no evidence to a signed-off engagement', async () => {
        const engagement = await freshEngagement();
        const before = pdfBytes('before the sign-off');
        const first = await declare(engagement, before);
        expect(first.status, JSON.stringify(first.body)).toBe(201);
        await upload(first.body, before);

        const signed = await call('POST', '/api/v1/sign-offs/preparer', PREPARER, {
          targetType: 'engagement',
          target: engagement,
        });
        expect(signed.status, JSON.stringify(signed.body)).toBe(201);
        const later = pdfBytes('after the sign-off');
        const item = await declare(engagement, later);
        const version = await call(
          'POST',
          `/api/v1/evidence/${first.body.evidenceId}/versions`,
          PREPARER,
          {
            fileName: 'bank-reconciliation-v2.pdf',
            size: later.length,
            sha256: sha256Of(later),
            contentType: 'application/pdf',
          },
        );

        const confirmed = await call(
          'POST',
          `/api/v1/evidence/${first.body.evidenceId}/confirm`,
          PREPARER,
          {},
        );
        const dated = await call(
          'PATCH',
          `/api/v1/evidence/${first.body.evidenceId}/versions/1`,
          PREPARER,
          { evidenceDate: { start: '2020-01-01', end: '2020-12-31' } },
        );

        expect(item.status).toBe(409);
        expect(item.body.code).toBe('SIGNED_OFF');
        expect(version.status).toBe(409);
        expect(version.body.signOffId).toBe(signed.body.id);
        expect(confirmed.status).toBe(409);
        expect(confirmed.body.code).toBe('SIGNED_OFF');
        expect(dated.status).toBe(409);
        expect(dated.body.code).toBe('SIGNED_OFF');
      });

      it('changes the evidence date but never the upload time', async () => {
        const { evidenceId, confirmed } = await uploadedEvidence(pdfBytes('dated'));
        const uploadedAt = versionOf(confirmed.body)?.uploadedAt;

        const changed = await call('PATCH', `/api/v1/evidence/${evidenceId}/versions/1`, PREPARER, {
          evidenceDate: { start: '2026-01-01', end: '2026-03-31' },
        });
        const tampered = await owner
          .query('UPDATE evidence_versions SET uploaded_at = now() WHERE evidence_id = $1', [
            evidenceId,
          ])
          .then(
            () => null,
            (error: Error) => error,
          );

        expect(changed.status, JSON.stringify(changed.body)).toBe(200);
        expect(versionOf(changed.body)).toMatchObject({
          evidenceDate: { start: '2026-01-01', end: '2026-03-31' },
          uploadedAt,
        });
        expect(tampered?.message).toMatch(/upload time/);
        const events = await auditEvents(testApp, owner, 'evidence.date_changed');
        expect(events.some((event) => event.target_id === evidenceId)).toBe(true);
      });

      it('rejects an evidence period that ends before it starts', async () => {
        const { evidenceId } = await uploadedEvidence(pdfBytes('backwards'));

        const changed = await call('PATCH', `/api/v1/evidence/${evidenceId}/versions/1`, PREPARER, {
          evidenceDate: { start: '2026-03-31', end: '2026-01-01' },
        });

        expect(changed.status).toBe(400);
      });
    });

    describe('access', () => {
      it('keeps a user outside the entity from declaring', async () => {
        const engagement = await freshEngagement();

        const declared = await declare(engagement, pdfBytes('outsider'), {}, OUTSIDER);

        expect(declared.status).toBe(404);
      });

      it('keeps a user outside the entity from downloading', async () => {
        const { evidenceId } = await uploadedEvidence(pdfBytes('not for outsiders'));

        const shown = await call('GET', `/api/v1/evidence/${evidenceId}`, OUTSIDER);
        const refused = await download(evidenceId, OUTSIDER);

        expect(shown.status).toBe(404);
        expect(refused.status).toBe(404);
      });

      it('keeps a read-only user from declaring and confirming', async () => {
        const engagement = await freshEngagement();
        const declared = await declare(engagement, pdfBytes('reader'), {}, READER);
        const { evidenceId } = await uploadedEvidence(pdfBytes('reader confirm'));

        const confirmed = await confirm(evidenceId, READER);

        expect(declared.status).toBe(403);
        expect(confirmed.status).toBe(403);
      });

      it('keeps the state out of reach of the application role', async () => {
        const engagement = await freshEngagement();
        const declared = await declare(engagement, pdfBytes('forged state'));
        const appClient = new pg.Client({ connectionString: database.appUrl });
        await appClient.connect();

        const forged = await appClient
          .query("UPDATE evidence_versions SET state = 'available' WHERE evidence_id = $1", [
            declared.body.evidenceId,
          ])
          .then(
            () => null,
            (error: Error) => error,
          )
          .finally(() => appClient.end());

        expect(forged?.message).toMatch(/permission denied/);
      });
    });
  },
);
