import { sql } from 'kysely';
import type { Tx } from '../../platform/db/database.ts';
import type { EvidenceState, EvidenceSubjectType } from '../../platform/db/schema.ts';

/** One version as the API shows it. */
export interface EvidenceVersionView {
  version: number;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  state: EvidenceState;
  declaredBy: string;
  declaredAt: string;
  uploadedAt: string | null;
  evidenceDate: { start: string; end: string | null } | null;
  scannedAt: string | null;
  scanSignature: string | null;
  scanError: string | null;
  nextScanAt: string | null;
  rejectionReason: string | null;
}

/** An evidence item with every version, oldest first. */
export interface EvidenceView {
  id: string;
  entity: string;
  subjectType: EvidenceSubjectType;
  subjectId: string;
  title: string;
  createdBy: string;
  createdAt: string;
  versions: EvidenceVersionView[];
}

/** The columns a service needs to act on one version. */
export interface EvidenceVersionRow {
  id: string;
  evidenceId: string;
  entityId: string;
  version: number;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  objectKey: string;
  state: EvidenceState;
  objectVersionId: string | null;
  objectEtag: string | null;
  uploadExpiresAt: Date;
  nextScanAt: Date | null;
}

export interface EvidenceItemRow {
  id: string;
  entityId: string;
  entityCode: string;
  subjectType: EvidenceSubjectType;
  subjectId: string;
  title: string;
}

/** Load an evidence item through row-level security; undefined when missing or out of scope. */
export async function findEvidence(tx: Tx, id: string): Promise<EvidenceItemRow | undefined> {
  const row = await tx
    .selectFrom('evidence as e')
    .innerJoin('entities as n', 'n.id', 'e.entity_id')
    .select(['e.id', 'e.entity_id', 'n.code', 'e.subject_type', 'e.subject_id', 'e.title'])
    .where('e.id', '=', id)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    entityId: row.entity_id,
    entityCode: row.code,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    title: row.title,
  };
}

/**
 * Load one version of an item, the latest when `version` is undefined.
 * `lock` takes a row lock, for changes that must not interleave.
 */
export async function findEvidenceVersion(
  tx: Tx,
  evidenceId: string,
  version: number | undefined,
  options: { lock?: boolean } = {},
): Promise<EvidenceVersionRow | undefined> {
  let query = tx
    .selectFrom('evidence_versions')
    .select([
      'id',
      'evidence_id',
      'entity_id',
      'version',
      'file_name',
      'content_type',
      'declared_size',
      'declared_sha256',
      'object_key',
      'state',
      'object_version_id',
      'object_etag',
      'upload_expires_at',
      'next_scan_at',
    ])
    .where('evidence_id', '=', evidenceId);
  query =
    version === undefined
      ? query.orderBy('version', 'desc').limit(1)
      : query.where('version', '=', version);
  if (options.lock === true) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    evidenceId: row.evidence_id,
    entityId: row.entity_id,
    version: row.version,
    fileName: row.file_name,
    contentType: row.content_type,
    size: Number(row.declared_size),
    sha256: row.declared_sha256.toString('hex'),
    objectKey: row.object_key,
    state: row.state,
    objectVersionId: row.object_version_id,
    objectEtag: row.object_etag,
    uploadExpiresAt: new Date(row.upload_expires_at),
    nextScanAt: row.next_scan_at,
  };
}

/** The number the next version of an item gets. Callers hold the item's advisory lock. */
export async function nextVersionNumber(tx: Tx, evidenceId: string): Promise<number> {
  const row = await tx
    .selectFrom('evidence_versions')
    .select(sql<number>`coalesce(max(version), 0) + 1`.as('next'))
    .where('evidence_id', '=', evidenceId)
    .executeTakeFirstOrThrow();
  return Number(row.next);
}

/** Serialize the changes to one evidence item, such as adding a version, until the transaction ends. */
export async function lockEvidence(tx: Tx, evidenceId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`evidence:${evidenceId}`}, 0))`.execute(
    tx,
  );
}

/** Load items with all their versions, as the API shows them, in the order of `ids`. */
export async function evidenceViews(tx: Tx, ids: readonly string[]): Promise<EvidenceView[]> {
  if (ids.length === 0) return [];
  const items = await tx
    .selectFrom('evidence as e')
    .innerJoin('entities as n', 'n.id', 'e.entity_id')
    .innerJoin('users as u', 'u.id', 'e.created_by')
    .select([
      'e.id',
      'n.code',
      'e.subject_type',
      'e.subject_id',
      'e.title',
      'u.email',
      'e.created_at',
    ])
    .where('e.id', 'in', ids)
    .execute();
  const versions = await tx
    .selectFrom('evidence_versions as v')
    .innerJoin('users as u', 'u.id', 'v.declared_by')
    .select([
      'v.evidence_id',
      'v.version',
      'v.file_name',
      'v.content_type',
      'v.declared_size',
      'v.declared_sha256',
      'v.state',
      'u.email',
      'v.declared_at',
      'v.uploaded_at',
      // Dates as text, so no time zone shifts them.
      sql<string | null>`to_char(v.evidence_date_start, 'YYYY-MM-DD')`.as('date_start'),
      sql<string | null>`to_char(v.evidence_date_end, 'YYYY-MM-DD')`.as('date_end'),
      'v.scanned_at',
      'v.scan_signature',
      'v.scan_error',
      'v.next_scan_at',
      'v.rejection_reason',
    ])
    .where('v.evidence_id', 'in', ids)
    .orderBy('v.version')
    .execute();

  const byItem = new Map<string, EvidenceVersionView[]>();
  for (const row of versions) {
    const list = byItem.get(row.evidence_id) ?? [];
    list.push({
      version: row.version,
      fileName: row.file_name,
      contentType: row.content_type,
      size: Number(row.declared_size),
      sha256: row.declared_sha256.toString('hex'),
      state: row.state,
      declaredBy: row.email,
      declaredAt: row.declared_at.toISOString(),
      uploadedAt: row.uploaded_at?.toISOString() ?? null,
      evidenceDate:
        row.date_start === null ? null : { start: row.date_start, end: row.date_end ?? null },
      scannedAt: row.scanned_at?.toISOString() ?? null,
      scanSignature: row.scan_signature,
      scanError: row.scan_error,
      nextScanAt: row.next_scan_at?.toISOString() ?? null,
      rejectionReason: row.rejection_reason,
    });
    byItem.set(row.evidence_id, list);
  }

  const viewById = new Map(
    items.map((item) => [
      item.id,
      {
        id: item.id,
        entity: item.code,
        subjectType: item.subject_type,
        subjectId: item.subject_id,
        title: item.title,
        createdBy: item.email,
        createdAt: item.created_at.toISOString(),
        versions: byItem.get(item.id) ?? [],
      } satisfies EvidenceView,
    ]),
  );
  return ids.flatMap((id) => {
    const view = viewById.get(id);
    return view === undefined ? [] : [view];
  });
}
