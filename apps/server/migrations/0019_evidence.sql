-- Evidence: files that support an exception, a run, a test or an
-- engagement's workpapers.
--
-- An evidence item has numbered versions; a new upload adds a version and
-- keeps the earlier ones. The browser puts each version's bytes straight
-- into object storage under a key the server chose. The server then reads
-- the object once, checks size, SHA-256 and magic bytes, and scans it with
-- clamd. Only then does the version become 'available':
--
--   pending_upload -> available     the bytes match and the scan is clean
--                  -> rejected      the bytes differ from the declaration (object deleted)
--                  -> quarantined   the scanner matched a signature (object kept)
--                  -> scan_pending  no verdict; a job scans again later
--   scan_pending   -> any of the four above
--
-- available, rejected and quarantined are final. The state and the
-- verification columns change only through peytonix_record_evidence_check,
-- which requires the token of the claim that started the check.

CREATE TABLE evidence (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE RESTRICT,
  subject_type text NOT NULL CHECK (subject_type IN ('exception', 'run', 'test', 'engagement')),
  subject_id uuid NOT NULL,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 255),
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evidence_subject_idx ON evidence (subject_type, subject_id, created_at);
CREATE INDEX evidence_entity_idx ON evidence (entity_id, created_at);

CREATE TRIGGER evidence_no_update_delete
BEFORE UPDATE OR DELETE ON evidence
FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();

CREATE TABLE evidence_versions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  evidence_id uuid NOT NULL REFERENCES evidence (id) ON DELETE RESTRICT,
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE RESTRICT,
  version integer NOT NULL CHECK (version >= 1),
  file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
  content_type text NOT NULL CHECK (length(content_type) BETWEEN 3 AND 255),
  declared_size bigint NOT NULL CHECK (declared_size >= 0),
  declared_sha256 bytea NOT NULL CHECK (octet_length(declared_sha256) = 32),
  -- Chosen by the server from random ids; no user input is part of it.
  object_key text NOT NULL UNIQUE CHECK (object_key ~ '^evidence/[0-9a-f-]{36}/[0-9a-f]{32}$'),
  declared_by uuid NOT NULL REFERENCES users (id),
  declared_at timestamptz NOT NULL DEFAULT now(),
  upload_expires_at timestamptz NOT NULL,
  -- The period the file proves; editable, unlike everything above.
  evidence_date_start date,
  evidence_date_end date,
  state text NOT NULL DEFAULT 'pending_upload' CHECK (state IN (
    'pending_upload', 'scan_pending', 'available', 'quarantined', 'rejected')),
  -- When a check first found the uploaded object; never changes once set.
  uploaded_at timestamptz,
  -- The stored object's version as the check read it; downloads ask for exactly this.
  object_version_id text CHECK (length(object_version_id) <= 1024),
  object_etag text CHECK (length(object_etag) <= 1024),
  scanned_at timestamptz,
  scan_signature text CHECK (length(scan_signature) BETWEEN 1 AND 500),
  scan_error text CHECK (length(scan_error) BETWEEN 1 AND 500),
  scan_attempts integer NOT NULL DEFAULT 0 CHECK (scan_attempts >= 0),
  next_scan_at timestamptz,
  rejection_reason text CHECK (length(rejection_reason) BETWEEN 1 AND 1000),
  -- A check in progress: whoever holds the token may record its outcome.
  check_token uuid,
  check_started_at timestamptz,
  UNIQUE (evidence_id, version),
  CHECK (evidence_date_end IS NULL
         OR (evidence_date_start IS NOT NULL AND evidence_date_start <= evidence_date_end)),
  CHECK ((check_token IS NULL) = (check_started_at IS NULL)),
  CHECK (state <> 'available' OR (uploaded_at IS NOT NULL AND object_etag IS NOT NULL
                                  AND scanned_at IS NOT NULL AND scan_signature IS NULL)),
  CHECK (state <> 'quarantined' OR (scan_signature IS NOT NULL AND scanned_at IS NOT NULL
                                    AND object_etag IS NOT NULL)),
  CHECK (state <> 'rejected' OR rejection_reason IS NOT NULL),
  CHECK (state <> 'scan_pending' OR (scan_error IS NOT NULL AND next_scan_at IS NOT NULL
                                     AND object_etag IS NOT NULL)),
  CHECK (state IN ('pending_upload', 'rejected') OR uploaded_at IS NOT NULL)
);
CREATE INDEX evidence_versions_evidence_idx ON evidence_versions (evidence_id, version);
CREATE INDEX evidence_versions_due_scan_idx ON evidence_versions (next_scan_at)
  WHERE state = 'scan_pending';
CREATE INDEX evidence_versions_quarantined_idx ON evidence_versions (entity_id, scanned_at)
  WHERE state = 'quarantined';

-- Declared facts never change, a final state is final, and the upload time
-- is set once. Versions are never deleted.
CREATE FUNCTION evidence_versions_check_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'evidence version % cannot be deleted', OLD.id
      USING ERRCODE = 'check_violation';
  END IF;
  IF (NEW.id, NEW.evidence_id, NEW.entity_id, NEW.version, NEW.file_name, NEW.content_type,
      NEW.declared_size, NEW.declared_sha256, NEW.object_key, NEW.declared_by, NEW.declared_at,
      NEW.upload_expires_at)
     IS DISTINCT FROM
     (OLD.id, OLD.evidence_id, OLD.entity_id, OLD.version, OLD.file_name, OLD.content_type,
      OLD.declared_size, OLD.declared_sha256, OLD.object_key, OLD.declared_by, OLD.declared_at,
      OLD.upload_expires_at) THEN
    RAISE EXCEPTION 'the declaration of evidence version % cannot change', OLD.id
      USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.uploaded_at IS NOT NULL AND NEW.uploaded_at IS DISTINCT FROM OLD.uploaded_at THEN
    RAISE EXCEPTION 'the upload time of evidence version % cannot change', OLD.id
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.state IS DISTINCT FROM OLD.state
     AND NOT (OLD.state = 'pending_upload'
              AND NEW.state IN ('scan_pending', 'available', 'quarantined', 'rejected'))
     AND NOT (OLD.state = 'scan_pending'
              AND NEW.state IN ('available', 'quarantined', 'rejected')) THEN
    RAISE EXCEPTION 'evidence version % cannot move from % to %', OLD.id, OLD.state, NEW.state
      USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.state IN ('available', 'quarantined', 'rejected')
     AND (NEW.object_version_id, NEW.object_etag, NEW.scanned_at, NEW.scan_signature,
          NEW.rejection_reason)
         IS DISTINCT FROM
         (OLD.object_version_id, OLD.object_etag, OLD.scanned_at, OLD.scan_signature,
          OLD.rejection_reason) THEN
    RAISE EXCEPTION 'the verification of evidence version % is final', OLD.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER evidence_versions_check_change
BEFORE UPDATE OR DELETE ON evidence_versions
FOR EACH ROW EXECUTE FUNCTION evidence_versions_check_change();

DO $$
DECLARE
  scoped text;
BEGIN
  FOREACH scoped IN ARRAY ARRAY['evidence', 'evidence_versions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', scoped);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', scoped);
    EXECUTE format(
      'CREATE POLICY %I ON %I TO peytonix_app '
      'USING (entity_id IN (SELECT peytonix_actor_entities())) '
      'WITH CHECK (entity_id IN (SELECT peytonix_actor_entities()))',
      scoped || '_scope', scoped);
  END LOOP;
END
$$;

GRANT SELECT, INSERT ON evidence, evidence_versions TO peytonix_app;
-- The application changes the evidence date and claims a check. The
-- outcome of a check goes through the definer function below.
GRANT UPDATE (evidence_date_start, evidence_date_end, check_token, check_started_at)
  ON evidence_versions TO peytonix_app;

-- The definer functions below run as the owner, whom FORCE subjects to
-- row-level security. These policies let the owner read versions (each
-- function filters its own rows, and RETURNING needs the new row to be
-- readable) and update only versions that wait for a check or a scan.
CREATE POLICY evidence_versions_owner_read ON evidence_versions FOR SELECT TO CURRENT_USER
  USING (true);
CREATE POLICY evidence_versions_owner_check ON evidence_versions FOR UPDATE TO CURRENT_USER
  USING (state IN ('pending_upload', 'scan_pending'))
  WITH CHECK (true);

-- Claim up to p_limit versions whose scan is due and that no live check
-- holds, for the retry job, which acts for no user and so sees no
-- entity-scoped row. A claim older than p_lease_seconds counts as
-- abandoned by a process that died. Returns what the check needs.
CREATE FUNCTION peytonix_claim_evidence_scans(p_limit integer, p_token uuid,
                                              p_lease_seconds integer)
RETURNS TABLE (
  version_id uuid,
  evidence_id uuid,
  entity_id uuid,
  version integer,
  object_key text,
  content_type text,
  declared_size bigint,
  declared_sha256 bytea,
  object_version_id text,
  object_etag text,
  scan_attempts integer
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1000 THEN
    RAISE EXCEPTION 'p_limit must be from 1 to 1000, got %', p_limit
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_token IS NULL OR p_lease_seconds IS NULL OR p_lease_seconds < 60 THEN
    RAISE EXCEPTION 'a claim needs a token and a lease of at least 60 seconds'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  RETURN QUERY
  UPDATE public.evidence_versions AS v
     SET check_token = p_token, check_started_at = now()
   WHERE v.id IN (
           SELECT due.id FROM public.evidence_versions AS due
            WHERE due.state = 'scan_pending'
              AND due.next_scan_at <= now()
              AND (due.check_token IS NULL
                   OR due.check_started_at < now() - make_interval(secs => p_lease_seconds))
            ORDER BY due.next_scan_at
            LIMIT p_limit
            FOR UPDATE SKIP LOCKED)
  RETURNING v.id, v.evidence_id, v.entity_id, v.version, v.object_key, v.content_type,
            v.declared_size, v.declared_sha256, v.object_version_id, v.object_etag,
            v.scan_attempts;
END;
$$;
REVOKE ALL ON FUNCTION peytonix_claim_evidence_scans(integer, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peytonix_claim_evidence_scans(integer, uuid, integer) TO peytonix_app;

-- Record the outcome of a check that p_token claimed, and release the
-- claim. p_state is the new state. A scan that gave no verdict waits
-- 2^attempts minutes, at most an hour, before the next. The object's
-- version and the upload time are kept from the first check that read
-- the object. Returns nothing when the token no longer holds the version,
-- for example because the claim expired and another check took it.
CREATE FUNCTION peytonix_record_evidence_check(
  p_version uuid, p_token uuid, p_state text, p_object_version_id text, p_object_etag text,
  p_scanned boolean, p_scan_signature text, p_scan_error text, p_rejection_reason text)
RETURNS TABLE (entity_id uuid, evidence_id uuid, version integer, state text,
               scan_attempts integer, next_scan_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF p_state NOT IN ('scan_pending', 'available', 'quarantined', 'rejected') THEN
    RAISE EXCEPTION 'a check cannot record the state %', p_state
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  RETURN QUERY
  UPDATE public.evidence_versions AS v
     SET state = p_state,
         uploaded_at = coalesce(v.uploaded_at,
                                CASE WHEN p_object_etag IS NOT NULL THEN now() END),
         object_version_id = coalesce(v.object_version_id, p_object_version_id),
         object_etag = coalesce(v.object_etag, p_object_etag),
         scanned_at = CASE WHEN p_scanned THEN now() ELSE v.scanned_at END,
         scan_signature = p_scan_signature,
         scan_error = p_scan_error,
         scan_attempts = v.scan_attempts + CASE WHEN p_scanned THEN 1 ELSE 0 END,
         next_scan_at = CASE
           WHEN p_state = 'scan_pending' THEN now() + make_interval(
             mins => least(60, power(2, least(v.scan_attempts, 6))::integer))
         END,
         rejection_reason = p_rejection_reason,
         check_token = NULL,
         check_started_at = NULL
   WHERE v.id = p_version
     AND v.check_token = p_token
  RETURNING v.entity_id, v.evidence_id, v.version, v.state, v.scan_attempts, v.next_scan_at;
END;
$$;
REVOKE ALL ON FUNCTION peytonix_record_evidence_check(uuid, uuid, text, text, text, boolean,
                                                      text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peytonix_record_evidence_check(uuid, uuid, text, text, text, boolean,
                                                         text, text, text) TO peytonix_app;
