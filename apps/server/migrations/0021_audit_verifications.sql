-- Results of full audit-chain verifications.
--
-- Every PEYTONIX_AUDIT_VERIFY_SECONDS, each server instance verifies the
-- whole hash chain and every checkpoint, and appends one row here with the
-- outcome, so GET /api/v1/audit/verification can report the latest result
-- and whether it is overdue. Rows are never changed or deleted: the
-- triggers reject UPDATE, DELETE and TRUNCATE for every role, as on
-- audit_events. The database sets id and recorded_at, so the application
-- cannot backdate a result.

CREATE TABLE audit_verifications (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  -- Events and checkpoints the verification read; 0 when it failed before reading.
  tree_size bigint NOT NULL CHECK (tree_size >= 0),
  checkpoints integer NOT NULL CHECK (checkpoints >= 0),
  -- intact: no damage found; damaged: see damage_seq and damage_kind;
  -- failed: the verification could not finish, as when the database failed.
  outcome text NOT NULL CHECK (outcome IN ('intact', 'damaged', 'failed')),
  damage_seq bigint CHECK (damage_seq > 0),
  damage_kind text CHECK (damage_kind IN (
    'changed_event', 'deleted_event', 'inserted_event', 'reordered_events', 'truncated',
    'bad_checkpoint_signature', 'checkpoint_mismatch', 'malformed_export'
  )),
  -- The host name and process id of the instance that verified.
  instance text NOT NULL CHECK (length(instance) BETWEEN 1 AND 200),
  CHECK ((outcome = 'damaged') = (damage_seq IS NOT NULL AND damage_kind IS NOT NULL)),
  CHECK (outcome = 'damaged' OR (damage_seq IS NULL AND damage_kind IS NULL))
);

CREATE TRIGGER audit_verifications_no_update_delete
BEFORE UPDATE OR DELETE ON audit_verifications
FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();

CREATE TRIGGER audit_verifications_no_truncate
BEFORE TRUNCATE ON audit_verifications
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();

GRANT SELECT ON audit_verifications TO peytonix_app;
GRANT INSERT (
  started_at, duration_ms, tree_size, checkpoints, outcome, damage_seq, damage_kind, instance
) ON audit_verifications TO peytonix_app;
