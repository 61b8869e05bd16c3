import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { ObjectStorage } from '../../src/platform/storage/object-storage.ts';

export type SeededEvidenceState = 'pending_upload' | 'available' | 'quarantined';

/**
 * Insert an evidence item with one version on an engagement as the
 * database owner, in the state a matrix case needs. An available or
 * quarantined version gets a stored PDF object and the verification
 * columns a check would write. A pending one gets its object too, so a
 * confirm finds it. Returns the evidence id.
 */
export async function seedEvidence(
  owner: pg.Client,
  storage: ObjectStorage,
  options: { engagementCode: string; declaredBy: string; state: SeededEvidenceState },
): Promise<string> {
  const body = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(256)]);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const evidenceId = (
    await owner.query<{ id: string }>(
      `INSERT INTO evidence (entity_id, subject_type, subject_id, title, created_by)
       SELECT n.id, 'engagement', n.id, 'Matrix evidence', u.id
         FROM entities AS n, users AS u WHERE n.code = $1 AND u.email = $2
       RETURNING id`,
      [options.engagementCode, options.declaredBy],
    )
  ).rows[0]?.id;
  if (evidenceId === undefined)
    throw new Error(`no entity ${options.engagementCode} to seed evidence for`);

  const objectKey = `evidence/${evidenceId}/${randomBytes(16).toString('hex')}`;
  await storage.put(objectKey, body, { contentType: 'application/pdf', sha256 });
  const verified = options.state !== 'pending_upload';
  await owner.query(
    `INSERT INTO evidence_versions
       (evidence_id, entity_id, version, file_name, content_type, declared_size, declared_sha256,
        object_key, declared_by, upload_expires_at, state, uploaded_at, object_etag, scanned_at,
        scan_signature, scan_attempts)
     SELECT e.id, e.entity_id, 1, 'matrix.pdf', 'application/pdf', $2, decode($3, 'hex'), $4,
            e.created_by, now() + interval '15 minutes', $5,
            CASE WHEN $6 THEN now() END, CASE WHEN $6 THEN $3 END, CASE WHEN $6 THEN now() END,
            CASE WHEN $5 = 'quarantined' THEN 'Matrix.Test.Signature' END,
            CASE WHEN $6 THEN 1 ELSE 0 END
       FROM evidence AS e WHERE e.id = $1`,
    [evidenceId, body.length, sha256, objectKey, options.state, verified],
  );
  return evidenceId;
}
