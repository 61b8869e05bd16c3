import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { EvidenceConfig } from '../../platform/config/config.ts';
import type { Db, Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/app-error.ts';
import { KeyProviderError } from '../../platform/keys/key-provider-error.ts';
import type { ClamdScanner } from '../../platform/scanning/clamd-client.ts';
import {
  type ObjectStorage,
  ObjectStorageError,
  type ObjectVersion,
  type SignedUrl,
} from '../../platform/storage/object-storage.ts';
import type { AccessControl } from '../access/access-control.ts';
import { withActor } from '../access/actor-scope.ts';
import type { Permission } from '../access/permissions.ts';
import { appendAuditEvent } from '../audit-trail/audit-trail.service.ts';
import type { SecurityEvents } from '../audit-trail/security-events.ts';
import type { Actor, RequestContext } from '../identity/actor.ts';
import {
  type EvidenceItemRow,
  type EvidenceVersionRow,
  type EvidenceView,
  evidenceViews,
  findEvidence,
  findEvidenceVersion,
  lockEvidence,
  nextVersionNumber,
} from './evidence.repository.ts';
import { type CheckOutcome, checkEvidenceObject, type DeclaredObject } from './evidence-check.ts';
import { checkDeclaration } from './evidence-declaration.ts';
import {
  type AllowedFileType,
  allowedFileTypes,
  type EvidenceContentPolicy,
} from './evidence-file-types.ts';
import { CHECK_LEASE_SECONDS, recordCheck } from './evidence-recording.ts';
import {
  assertSubjectNotSignedOff,
  type EvidenceSubject,
  type EvidenceSubjectRef,
  findEvidenceSubject,
  subjectNotFound,
} from './evidence-subjects.ts';

/** The period a version proves. */
export interface EvidenceDate {
  start: string;
  end?: string | undefined;
}

/** A file as the browser declares it before uploading. */
export interface DeclaredFile {
  fileName: string;
  size: number;
  sha256: string;
  contentType: string;
  evidenceDate?: EvidenceDate | undefined;
}

export interface EvidenceUpload {
  evidenceId: string;
  version: number;
  state: 'pending_upload';
  upload: StorageRequest;
}

/** A signed request the browser sends straight to storage. */
export interface StorageRequest {
  method: 'GET' | 'PUT';
  url: string;
  headers: Record<string, string>;
  expiresAt: string;
}

export interface EvidenceAccess {
  evidenceId: string;
  version: number;
  fileName: string;
  contentType: string;
  request: StorageRequest;
}

export interface QuarantinedEvidence {
  evidenceId: string;
  version: number;
  entity: string;
  title: string;
  fileName: string;
  sha256: string;
  scanSignature: string;
  scannedAt: string;
  declaredBy: string;
}

export interface EvidenceService {
  /** The size limit and the file types that this deployment accepts as evidence. */
  filePolicy(): { maxBytes: number; fileTypes: AllowedFileType[] };
  /** Declare an evidence item and its first version, and return where to upload it. */
  declare(
    actor: Actor,
    request: EvidenceSubjectRef & DeclaredFile & { title?: string | undefined },
    context?: RequestContext,
  ): Promise<EvidenceUpload>;
  /** Declare the next version of an item; earlier versions stay as they are. */
  declareVersion(
    actor: Actor,
    evidenceId: string,
    file: DeclaredFile,
    context?: RequestContext,
  ): Promise<EvidenceUpload>;
  /**
   * Verify and scan an uploaded version (the latest when `version` is
   * undefined) and return the item. A version that is already final is
   * returned unchanged.
   */
  confirm(
    actor: Actor,
    evidenceId: string,
    version: number | undefined,
    context?: RequestContext,
  ): Promise<EvidenceView>;
  list(actor: Actor, subject: EvidenceSubjectRef): Promise<EvidenceView[]>;
  show(actor: Actor, evidenceId: string): Promise<EvidenceView>;
  /** Issue a short-lived URL that downloads exactly the verified bytes of an available version. */
  download(
    actor: Actor,
    evidenceId: string,
    version: number | undefined,
    context?: RequestContext,
  ): Promise<EvidenceAccess>;
  /** Like download, but for display in the browser; only for types a browser shows safely. */
  view(
    actor: Actor,
    evidenceId: string,
    version: number | undefined,
    context?: RequestContext,
  ): Promise<EvidenceAccess>;
  /** Set or clear the period a version proves. */
  setEvidenceDate(
    actor: Actor,
    evidenceId: string,
    version: number,
    evidenceDate: EvidenceDate | null,
    context?: RequestContext,
  ): Promise<EvidenceView>;
  /** Quarantined versions in the entities where the actor may see them, newest first. */
  quarantine(actor: Actor): Promise<QuarantinedEvidence[]>;
  /** Scan again up to `limit` versions whose scan is due; returns how many were checked. */
  retryScans(limit?: number): Promise<number>;
}

export interface EvidenceServiceDeps {
  db: Db;
  logger: Logger;
  access: AccessControl;
  securityEvents: SecurityEvents;
  storage: () => Promise<ObjectStorage>;
  scanner: ClamdScanner;
  policy: EvidenceContentPolicy;
  limits: Pick<EvidenceConfig, 'uploadUrlSeconds' | 'downloadUrlSeconds'>;
}

/** Types a browser displays without running anything from the file. */
const VIEWABLE_TYPES = new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/gif']);
const TEXT_VIEW_TYPES = new Set(['text/plain', 'text/csv', 'application/json']);

const RETRY_ACTOR: Actor = { type: 'system', channel: 'worker' };
/** Attempts after which each further scan without a verdict logs an error for operators. */
const ALERT_AFTER_ATTEMPTS = 5;
const DEFAULT_RETRY_BATCH = 20;

function evidenceNotFound(evidenceId: string): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `No evidence ${evidenceId} is visible to you. List evidence with GET /api/v1/evidence?subjectType=...&subject=....`,
  });
}

function versionNotFound(evidenceId: string, version: number | undefined): AppError {
  return new AppError('RESOURCE_NOT_FOUND', {
    detail: `Evidence ${evidenceId} has no version ${version ?? ''}. GET /api/v1/evidence/${evidenceId} lists its versions.`,
  });
}

function storageRequest(signed: SignedUrl, method: 'GET' | 'PUT'): StorageRequest {
  return {
    method,
    url: signed.url,
    headers: signed.headers,
    expiresAt: signed.expiresAt.toISOString(),
  };
}

/**
 * Turn a failure to read the object during a check into a 503, because
 * the storage or the connection to it failed. Application errors pass.
 */
function readFailed(error: unknown, ids: { evidenceId: string; version: number }): never {
  if (error instanceof AppError || error instanceof KeyProviderError) throw error;
  throw new AppError('SERVICE_UNAVAILABLE', {
    detail: `Reading version ${ids.version} of evidence ${ids.evidenceId} from storage failed, so nothing was recorded. Confirm again; if it keeps failing, check /health/ready and the storage configuration.`,
    internal: error,
  });
}

/** Turn a storage failure into a 503 that names the storage, or rethrow anything else. */
function storageUnavailable(error: unknown): never {
  if (error instanceof ObjectStorageError && error.code === 'StorageUnavailable') {
    throw new AppError('SERVICE_UNAVAILABLE', {
      detail:
        'Evidence storage is unavailable, so nothing was changed. Retry later; if it persists, check /health/ready and the storage configuration.',
      internal: error,
    });
  }
  throw error;
}

function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/**
 * Return the one spelling of an allowed content type that the upload URL
 * signs and the browser must send: the media type in lowercase, and
 * `; charset=utf-8` when the declaration named a charset (checkDeclaration
 * admits no other parameter).
 */
function canonicalContentType(contentType: string): string {
  const type = mediaType(contentType);
  return contentType.includes(';') ? `${type}; charset=utf-8` : type;
}

/** Return the subject an evidence item supports, for the sign-off check. */
function subjectOf(item: EvidenceItemRow): EvidenceSubject {
  return { type: item.subjectType, id: item.subjectId, entityId: item.entityId };
}

export function createEvidenceService(deps: EvidenceServiceDeps): EvidenceService {
  const { db, access, policy, limits, logger } = deps;

  /** Load an item through row-level security and authorize `permission` on it. */
  const loadItem = async (
    tx: Tx,
    actor: Actor,
    evidenceId: string,
    permission: Permission,
    context?: RequestContext,
  ): Promise<EvidenceItemRow> => {
    const item = await findEvidence(tx, evidenceId);
    if (item === undefined) throw evidenceNotFound(evidenceId);
    await access.authorize(
      tx,
      actor,
      permission,
      { type: 'evidence', id: item.id, entityId: item.entityId },
      { context, notFound: () => evidenceNotFound(evidenceId) },
    );
    return item;
  };

  /** Check a declaration against the limits and return it with its canonical content type. */
  const allowedDeclaration = (file: DeclaredFile): DeclaredFile => {
    const problem = checkDeclaration(policy, file);
    if (problem !== null) {
      throw new AppError('EVIDENCE_FILE_NOT_ALLOWED', {
        detail: problem.message,
        extensions: { reason: problem.code },
      });
    }
    return { ...file, contentType: canonicalContentType(file.contentType) };
  };

  /** Insert a version row, audit the declaration and presign its upload. */
  const addVersion = async (
    tx: Tx,
    actor: Actor & { type: 'user' },
    item: { id: string; entityId: string },
    version: number,
    file: DeclaredFile,
    context: RequestContext | undefined,
  ): Promise<EvidenceUpload> => {
    // Random ids only: nothing the user typed becomes part of a key.
    const objectKey = `evidence/${item.id}/${randomBytes(16).toString('hex')}`;
    const sha256 = file.sha256.toLowerCase();
    const expiresAt = new Date(Date.now() + limits.uploadUrlSeconds * 1000);

    await tx
      .insertInto('evidence_versions')
      .values({
        evidence_id: item.id,
        entity_id: item.entityId,
        version,
        file_name: file.fileName,
        content_type: file.contentType,
        declared_size: file.size,
        declared_sha256: Buffer.from(sha256, 'hex'),
        object_key: objectKey,
        declared_by: actor.userId,
        upload_expires_at: expiresAt,
        evidence_date_start: file.evidenceDate?.start ?? null,
        evidence_date_end: file.evidenceDate?.end ?? null,
      })
      .execute();
    await appendAuditEvent(tx, {
      actor,
      action: 'evidence.upload_requested',
      outcome: 'success',
      target: { type: 'evidence', id: item.id },
      entityId: item.entityId,
      ...(context ? { context } : {}),
      details: {
        version,
        fileName: file.fileName,
        size: file.size,
        sha256,
        contentType: file.contentType,
        objectKey,
      },
    });

    // Presigned inside the transaction, so a storage failure leaves no declaration behind.
    const storage = await deps.storage();
    const signed = await storage
      .signedUrl(objectKey, {
        method: 'PUT',
        expiresInSeconds: limits.uploadUrlSeconds,
        contentType: file.contentType,
        contentLength: file.size,
        sha256,
      })
      .catch(storageUnavailable);
    return {
      evidenceId: item.id,
      version,
      state: 'pending_upload',
      upload: storageRequest(signed, 'PUT'),
    };
  };

  const requireUser = (actor: Actor, action: string): Actor & { type: 'user' } => {
    if (actor.type !== 'user') {
      throw new AppError('FORBIDDEN', { detail: `Only a signed-in user can ${action}.` });
    }
    return actor;
  };

  /**
   * Claim a version for a check under row-level security. Returns the
   * claim token, or the version's state when there is nothing to check.
   */
  const claim = async (
    tx: Tx,
    row: EvidenceVersionRow,
  ): Promise<{ token: string } | { state: string }> => {
    if (row.state !== 'pending_upload' && row.state !== 'scan_pending') {
      return { state: row.state };
    }
    // A file waiting for a scan is rescanned when its back-off has passed,
    // so repeated confirms cannot keep clamd busy with one large file.
    if (row.state === 'scan_pending' && row.nextScanAt !== null && row.nextScanAt > new Date()) {
      return { state: row.state };
    }
    const token = randomUUID();
    const claimed = await tx
      .updateTable('evidence_versions')
      .set({ check_token: token, check_started_at: sql<Date>`now()` })
      .where('id', '=', row.id)
      .where('state', 'in', ['pending_upload', 'scan_pending'])
      .where((where) =>
        where.or([
          where('check_token', 'is', null),
          where(
            'check_started_at',
            '<',
            sql<Date>`now() - make_interval(secs => ${CHECK_LEASE_SECONDS})`,
          ),
        ]),
      )
      .returning('id')
      .executeTakeFirst();
    if (claimed === undefined) {
      throw new AppError('EVIDENCE_CHECK_IN_PROGRESS', {
        detail: `Version ${row.version} of evidence ${row.evidenceId} is being checked right now. Retry in a minute.`,
      });
    }
    return { token };
  };

  const declaredObject = (row: EvidenceVersionRow): DeclaredObject => ({
    objectKey: row.objectKey,
    contentType: row.contentType,
    size: row.size,
    sha256: row.sha256,
    version:
      row.objectEtag === null ? null : { versionId: row.objectVersionId, etag: row.objectEtag },
  });

  /** Delete a rejected object. A failure is logged, because the version is rejected either way. */
  const deleteRejected = async (storage: ObjectStorage, objectKey: string, evidenceId: string) => {
    try {
      await storage.delete(objectKey);
    } catch (error) {
      logger.error({ err: error, evidenceId }, 'could not delete a rejected evidence object');
    }
  };

  const logOutcome = (
    outcome: Exclude<CheckOutcome, { state: 'not_uploaded' }>,
    ids: { evidenceId: string; version: number },
  ) => {
    if (outcome.state === 'quarantined') {
      logger.warn({ ...ids, signature: outcome.signature }, 'evidence quarantined: malware found');
    } else if (outcome.state === 'scan_pending') {
      logger.warn({ ...ids, scanError: outcome.error }, 'evidence scan gave no verdict');
    } else if (outcome.state === 'rejected') {
      logger.info({ ...ids, reason: outcome.code }, 'evidence rejected');
    }
  };

  /** Release a claim whose check found no object, so a later confirm can try again. */
  const release = async (actor: Actor, versionId: string, token: string) => {
    await withActor(db, actor, async (tx) => {
      await tx
        .updateTable('evidence_versions')
        .set({ check_token: null, check_started_at: null })
        .where('id', '=', versionId)
        .where('check_token', '=', token)
        .execute();
    });
  };

  const access_ = async (
    mode: 'download' | 'view',
    actor: Actor,
    evidenceId: string,
    version: number | undefined,
    context: RequestContext | undefined,
  ): Promise<EvidenceAccess> => {
    const action = mode === 'download' ? 'evidence.downloaded' : 'evidence.viewed';
    const refuse = async (
      row: EvidenceVersionRow,
      reasonCode: string,
      error: AppError,
    ): Promise<never> => {
      await deps.securityEvents.record({
        actor,
        action,
        outcome: 'failure',
        reasonCode,
        target: { type: 'evidence', id: row.evidenceId },
        entityId: row.entityId,
        ...(context ? { context } : {}),
        details: { version: row.version, state: row.state },
      });
      throw error;
    };

    // File contents leave the platform only for a person. An AI feature
    // reads evidence metadata, never the bytes.
    requireUser(actor, `${mode} evidence`);
    return await withActor(db, actor, async (tx) => {
      const item = await loadItem(tx, actor, evidenceId, 'evidence.read', context);
      const row = await findEvidenceVersion(tx, item.id, version);
      if (row === undefined) throw versionNotFound(evidenceId, version);

      if (row.state !== 'available' || row.objectEtag === null) {
        await refuse(
          row,
          'EVIDENCE_NOT_AVAILABLE',
          new AppError('EVIDENCE_NOT_AVAILABLE', {
            detail: `Version ${row.version} of evidence ${evidenceId} is ${row.state}; only a version that passed verification and scanning (available) can be downloaded or viewed.`,
            extensions: { state: row.state },
          }),
        );
      }
      const type = mediaType(row.contentType);
      if (mode === 'view' && !VIEWABLE_TYPES.has(type) && !TEXT_VIEW_TYPES.has(type)) {
        throw new AppError('EVIDENCE_NOT_VIEWABLE', {
          detail: `Version ${row.version} of evidence ${evidenceId} is ${type}, which the browser cannot display safely. Download it with POST /api/v1/evidence/${evidenceId}/download.`,
        });
      }

      const storage = await deps.storage();
      const pinned: ObjectVersion = { versionId: row.objectVersionId, etag: row.objectEtag ?? '' };
      // Without a version id, the current object must still be the one the
      // check read. The signed URL pins that version as well, on storage that
      // honors If-Match.
      if (pinned.versionId === null) {
        const info = await storage.head(row.objectKey).catch(storageUnavailable);
        if (info === null || info.version.etag !== pinned.etag || info.sha256 !== row.sha256) {
          logger.error(
            { evidenceId, version: row.version },
            'evidence object changed after it was verified; download refused',
          );
          await refuse(
            row,
            'OBJECT_CHANGED',
            new AppError('EVIDENCE_CHANGED', {
              detail: `The stored file of version ${row.version} of evidence ${evidenceId} is no longer the one that was verified and scanned, so it will not be served. Tell an administrator; upload the file again as a new version.`,
            }),
          );
        }
      }

      await appendAuditEvent(tx, {
        actor,
        action,
        outcome: 'success',
        target: { type: 'evidence', id: item.id },
        entityId: item.entityId,
        ...(context ? { context } : {}),
        details: {
          version: row.version,
          fileName: row.fileName,
          sha256: row.sha256,
          expiresInSeconds: limits.downloadUrlSeconds,
        },
      });
      const signed = await storage
        .signedUrl(row.objectKey, {
          method: 'GET',
          expiresInSeconds: limits.downloadUrlSeconds,
          contentType: TEXT_VIEW_TYPES.has(type)
            ? mode === 'view'
              ? 'text/plain; charset=utf-8'
              : row.contentType
            : row.contentType,
          fileName: row.fileName,
          version: pinned,
          disposition: mode === 'view' ? 'inline' : 'attachment',
        })
        .catch(storageUnavailable);
      return {
        evidenceId: item.id,
        version: row.version,
        fileName: row.fileName,
        contentType: row.contentType,
        request: storageRequest(signed, 'GET'),
      };
    });
  };

  const service: EvidenceService = {
    filePolicy() {
      return { maxBytes: policy.maxBytes, fileTypes: allowedFileTypes(policy) };
    },

    async declare(actor, request, context) {
      const user = requireUser(actor, 'upload evidence');
      return await withActor(db, actor, async (tx) => {
        const subject = await findEvidenceSubject(tx, request);
        if (subject === null) throw subjectNotFound(request);
        await access.authorize(
          tx,
          actor,
          'evidence.upload',
          { type: subject.type, id: subject.id, entityId: subject.entityId },
          { context, notFound: () => subjectNotFound(request) },
        );
        await assertSubjectNotSignedOff(tx, subject);
        const file = allowedDeclaration(request);

        const item = await tx
          .insertInto('evidence')
          .values({
            entity_id: subject.entityId,
            subject_type: subject.type,
            subject_id: subject.id,
            title: request.title ?? request.fileName,
            created_by: user.userId,
          })
          .returning(['id', 'entity_id'])
          .executeTakeFirstOrThrow();
        return await addVersion(
          tx,
          user,
          { id: item.id, entityId: item.entity_id },
          1,
          file,
          context,
        );
      });
    },

    async declareVersion(actor, evidenceId, file, context) {
      const user = requireUser(actor, 'upload evidence');
      return await withActor(db, actor, async (tx) => {
        const item = await loadItem(tx, actor, evidenceId, 'evidence.upload', context);
        await assertSubjectNotSignedOff(tx, subjectOf(item));
        const allowed = allowedDeclaration(file);
        await lockEvidence(tx, item.id);
        const version = await nextVersionNumber(tx, item.id);
        return await addVersion(tx, user, item, version, allowed, context);
      });
    },

    async confirm(actor, evidenceId, version, context) {
      requireUser(actor, 'confirm an upload');
      const claimed = await withActor(db, actor, async (tx) => {
        const item = await loadItem(tx, actor, evidenceId, 'evidence.upload', context);
        // An upload declared before a sign-off must not become evidence after it.
        await assertSubjectNotSignedOff(tx, subjectOf(item));
        const row = await findEvidenceVersion(tx, item.id, version, { lock: true });
        if (row === undefined) throw versionNotFound(evidenceId, version);
        return { row, claim: await claim(tx, row) };
      });
      const { row } = claimed;
      if (!('token' in claimed.claim)) return await service.show(actor, evidenceId);
      const { token } = claimed.claim;

      let outcome: CheckOutcome;
      let storage: ObjectStorage;
      try {
        storage = await deps.storage();
        outcome = await checkEvidenceObject(storage, deps.scanner, declaredObject(row));
      } catch (error) {
        await release(actor, row.id, token);
        readFailed(error, { evidenceId, version: row.version });
      }
      if (outcome.state === 'not_uploaded') {
        await release(actor, row.id, token);
        const expired = row.uploadExpiresAt.getTime() <= Date.now();
        throw new AppError('EVIDENCE_NOT_UPLOADED', {
          detail: expired
            ? `No file was uploaded for version ${row.version} of evidence ${evidenceId}, and its upload URL expired at ${row.uploadExpiresAt.toISOString()}. Declare the file again with POST /api/v1/evidence/${evidenceId}/versions.`
            : `No file was uploaded for version ${row.version} of evidence ${evidenceId} yet. PUT it to the upload URL first (valid until ${row.uploadExpiresAt.toISOString()}), then confirm.`,
        });
      }
      // The item is read back in the same transaction; the claim already
      // authorized the actor on it.
      const { recorded, view } = await withActor(db, actor, async (tx) => {
        const result = await recordCheck(tx, {
          versionId: row.id,
          token,
          outcome,
          actor,
          context,
          details: { fileName: row.fileName, sha256: row.sha256, size: row.size },
        });
        return { recorded: result, view: (await evidenceViews(tx, [evidenceId]))[0] };
      });
      if (recorded === null || view === undefined) {
        throw new AppError('EVIDENCE_CHECK_IN_PROGRESS', {
          detail: `Another check of version ${row.version} of evidence ${evidenceId} took over while this one ran. Fetch the evidence to see its state.`,
        });
      }
      // Deleted only once the rejection is recorded, so a failed recording
      // leaves the object for the next check.
      if (outcome.state === 'rejected') await deleteRejected(storage, row.objectKey, evidenceId);
      logOutcome(outcome, { evidenceId, version: row.version });
      return view;
    },

    async list(actor, subjectRef) {
      return await withActor(db, actor, async (tx) => {
        const subject = await findEvidenceSubject(tx, subjectRef);
        if (subject === null) throw subjectNotFound(subjectRef);
        await access.authorize(
          tx,
          actor,
          'evidence.read',
          { type: subject.type, id: subject.id, entityId: subject.entityId },
          { notFound: () => subjectNotFound(subjectRef) },
        );
        const ids = await tx
          .selectFrom('evidence')
          .select('id')
          .where('subject_type', '=', subject.type)
          .where('subject_id', '=', subject.id)
          .orderBy('created_at')
          .orderBy('id')
          .execute();
        return await evidenceViews(
          tx,
          ids.map((row) => row.id),
        );
      });
    },

    async show(actor, evidenceId) {
      return await withActor(db, actor, async (tx) => {
        const item = await loadItem(tx, actor, evidenceId, 'evidence.read');
        const [view] = await evidenceViews(tx, [item.id]);
        if (view === undefined) throw evidenceNotFound(evidenceId);
        return view;
      });
    },

    download: (actor, evidenceId, version, context) =>
      access_('download', actor, evidenceId, version, context),

    view: (actor, evidenceId, version, context) =>
      access_('view', actor, evidenceId, version, context),

    async setEvidenceDate(actor, evidenceId, version, evidenceDate, context) {
      requireUser(actor, 'set an evidence date');
      await withActor(db, actor, async (tx) => {
        const item = await loadItem(tx, actor, evidenceId, 'evidence.upload', context);
        await assertSubjectNotSignedOff(tx, subjectOf(item));
        const row = await findEvidenceVersion(tx, item.id, version, { lock: true });
        if (row === undefined) throw versionNotFound(evidenceId, version);
        const before = await tx
          .selectFrom('evidence_versions')
          .select([
            sql<string | null>`to_char(evidence_date_start, 'YYYY-MM-DD')`.as('start'),
            sql<string | null>`to_char(evidence_date_end, 'YYYY-MM-DD')`.as('end'),
          ])
          .where('id', '=', row.id)
          .executeTakeFirstOrThrow();
        await tx
          .updateTable('evidence_versions')
          .set({
            evidence_date_start: evidenceDate?.start ?? null,
            evidence_date_end: evidenceDate?.end ?? null,
          })
          .where('id', '=', row.id)
          .execute();
        await appendAuditEvent(tx, {
          actor,
          action: 'evidence.date_changed',
          outcome: 'success',
          target: { type: 'evidence', id: item.id },
          entityId: item.entityId,
          ...(context ? { context } : {}),
          details: {
            version: row.version,
            from: before.start === null ? null : { start: before.start, end: before.end },
            to:
              evidenceDate === null
                ? null
                : { start: evidenceDate.start, end: evidenceDate.end ?? null },
          },
        });
      });
      return await service.show(actor, evidenceId);
    },

    async quarantine(actor) {
      return await withActor(db, actor, async (tx) => {
        const entities = await access.entitiesWith(tx, actor, 'evidence.quarantine');
        if (entities.length === 0) return [];
        const rows = await tx
          .selectFrom('evidence_versions as v')
          .innerJoin('evidence as e', 'e.id', 'v.evidence_id')
          .innerJoin('entities as n', 'n.id', 'v.entity_id')
          .innerJoin('users as u', 'u.id', 'v.declared_by')
          .select([
            'v.evidence_id',
            'v.version',
            'n.code',
            'e.title',
            'v.file_name',
            'v.declared_sha256',
            'v.scan_signature',
            'v.scanned_at',
            'u.email',
          ])
          .where('v.state', '=', 'quarantined')
          .where('v.entity_id', 'in', entities)
          .orderBy('v.scanned_at', 'desc')
          .limit(1000)
          .execute();
        return rows.map((row) => ({
          evidenceId: row.evidence_id,
          version: row.version,
          entity: row.code,
          title: row.title,
          fileName: row.file_name,
          sha256: row.declared_sha256.toString('hex'),
          scanSignature: row.scan_signature ?? '',
          scannedAt: row.scanned_at?.toISOString() ?? '',
          declaredBy: row.email,
        }));
      });
    },

    async retryScans(limit = DEFAULT_RETRY_BATCH) {
      const token = randomUUID();
      const due = await db.transaction().execute(async (tx) => {
        const { rows } = await sql<{
          version_id: string;
          evidence_id: string;
          version: number;
          object_key: string;
          content_type: string;
          declared_size: string;
          declared_sha256: Buffer;
          object_version_id: string | null;
          object_etag: string | null;
        }>`SELECT * FROM peytonix_claim_evidence_scans(${limit}::integer, ${token}::uuid, ${CHECK_LEASE_SECONDS}::integer)`.execute(
          tx,
        );
        return rows;
      });
      if (due.length === 0) return 0;

      const storage = await deps.storage();
      for (const row of due) {
        const declared: DeclaredObject = {
          objectKey: row.object_key,
          contentType: row.content_type,
          size: Number(row.declared_size),
          sha256: row.declared_sha256.toString('hex'),
          version:
            row.object_etag === null
              ? null
              : { versionId: row.object_version_id, etag: row.object_etag },
        };
        const ids = { evidenceId: row.evidence_id, version: row.version };
        let outcome: CheckOutcome;
        try {
          outcome = await checkEvidenceObject(storage, deps.scanner, declared);
        } catch (error) {
          // The claim lapses after its lease and the version is retried then.
          logger.error({ err: error, ...ids }, 'evidence scan retry failed to read the object');
          continue;
        }
        // The object vanished without a recorded version; the claim lapses after its lease.
        if (outcome.state === 'not_uploaded') continue;
        const recorded = await db.transaction().execute((tx) =>
          recordCheck(tx, {
            versionId: row.version_id,
            token,
            outcome,
            actor: RETRY_ACTOR,
            details: { sha256: declared.sha256, size: declared.size, retry: true },
          }),
        );
        if (recorded === null) continue;
        if (outcome.state === 'rejected') {
          await deleteRejected(storage, row.object_key, row.evidence_id);
        }
        logOutcome(outcome, ids);
        if (outcome.state === 'scan_pending' && recorded.scanAttempts >= ALERT_AFTER_ATTEMPTS) {
          logger.error(
            { ...ids, scanAttempts: recorded.scanAttempts, scanError: outcome.error },
            'evidence scan still has no verdict after repeated attempts; check clamd',
          );
        }
      }
      return due.length;
    },
  };
  return service;
}
