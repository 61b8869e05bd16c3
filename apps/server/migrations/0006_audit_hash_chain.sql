-- Hash chain and signed checkpoints for the audit trail.
--
-- Every event stores prev_hash and hash = SHA-256(0x00 || prev_hash ||
-- JCS(event)), where JCS is the RFC 8785 canonical JSON of the event as
-- apps/server/src/modules/audit-trail/chain/audit-record.ts defines it.
-- The chain head keeps the last hash next to the last sequence number, so
-- one locked row read gives an appender both. audit_seal() assigns the
-- number, the time and the hash while holding that lock, which is why
-- concurrent writers can neither fork the chain nor leave a gap.
--
-- The application role may only SELECT audit_events: it appends through
-- audit_pending, whose trigger writes the event as the table owner.
--
-- audit_checkpoints holds signed Merkle tree heads (RFC 9162) over the event
-- hashes. Like audit_events it is append-only: a trigger rejects UPDATE,
-- DELETE and TRUNCATE for every role, the table owner included.

DO $$
BEGIN
  IF current_setting('server_encoding') <> 'UTF8' THEN
    RAISE EXCEPTION 'the audit hash chain needs a UTF8 database, found %', current_setting('server_encoding');
  END IF;
  -- NOTE: no release shipped events without hashes, so there is nothing to
  -- backfill; a database that has some was made by a pre-release build.
  IF EXISTS (SELECT 1 FROM audit_events) THEN
    RAISE EXCEPTION 'audit_events holds events written before the hash chain existed; create a new database for this release';
  END IF;
END
$$;

ALTER TABLE audit_chain_head
  ADD COLUMN last_hash bytea NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
    CHECK (octet_length(last_hash) = 32);

-- The address is hashed as the text it arrived in, so it is stored as text.
ALTER TABLE audit_events
  ALTER COLUMN ip_address TYPE text,
  ADD CONSTRAINT audit_events_ip_address_valid CHECK (ip_address IS NULL OR ip_address::inet IS NOT NULL),
  ALTER COLUMN occurred_at DROP DEFAULT,
  ADD COLUMN prev_hash bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
  ADD COLUMN hash bytea NOT NULL UNIQUE CHECK (octet_length(hash) = 32);

CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at, seq);
CREATE INDEX audit_events_action_idx ON audit_events (action, seq);

-- An append is sealed when its transaction commits, not when it is made.
-- appendAuditEvent() inserts the event into audit_pending, and a deferred
-- constraint trigger moves it into audit_events during COMMIT: it takes
-- the chain-head row lock, assigns the number, the time and the hash, and
-- deletes the pending row. The lock is then held only for the rest of the
-- commit, not for the round trips between the application's statements, so
-- more writers fit through the one lock. A failure in the trigger makes the
-- COMMIT fail with SQLSTATE PX503, which rolls back the change the event
-- records.
--
-- Pending rows live only inside their own transaction, so the table is
-- UNLOGGED: nothing in it needs to survive a crash.
CREATE UNLOGGED TABLE audit_pending (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  actor_type text NOT NULL,
  actor_id uuid,
  on_behalf_of uuid,
  channel text NOT NULL,
  action text NOT NULL,
  outcome text NOT NULL,
  reason_code text,
  target_type text,
  target_id text,
  entity_id uuid,
  request_id text,
  correlation_id text,
  ip_address text,
  user_agent text,
  details jsonb NOT NULL,
  -- The canonical JSON of the event in three fragments, with two holes:
  -- the time after "occurredAt": and the number after "seq":.
  canonical_head text NOT NULL,
  canonical_middle text NOT NULL,
  canonical_tail text NOT NULL
);

-- SECURITY DEFINER: audit_seal() writes audit_events and the chain head
-- as the table owner, so the application role needs neither privilege and
-- cannot write an event, or move the head, except through this trigger.
CREATE FUNCTION audit_seal() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_seq bigint;
  v_prev bytea;
  v_time timestamptz;
  v_hash bytea;
BEGIN
  -- Sealers queue on this advisory lock rather than on the head row: when
  -- a row lock is released, every waiter wakes and all but one go back to
  -- sleep, while the lock manager hands an advisory lock to the next waiter
  -- only. The lock is released after the commit is visible, so the next
  -- holder reads the head its predecessor wrote.
  PERFORM pg_advisory_xact_lock(hashtext('peytonix.audit_chain'));
  SELECT last_seq + 1, last_hash INTO v_seq, v_prev
  FROM audit_chain_head WHERE singleton FOR UPDATE;

  v_time := clock_timestamp();
  v_hash := sha256(
    '\x00'::bytea || v_prev || convert_to(
      NEW.canonical_head
        || '"' || to_char(v_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"'
        || NEW.canonical_middle || v_seq::text || NEW.canonical_tail,
      'UTF8'));

  INSERT INTO audit_events (
    seq, occurred_at, actor_type, actor_id, on_behalf_of, channel, action, outcome,
    reason_code, target_type, target_id, entity_id, request_id, correlation_id,
    ip_address, user_agent, details, prev_hash, hash
  ) VALUES (
    v_seq, v_time, NEW.actor_type, NEW.actor_id, NEW.on_behalf_of, NEW.channel, NEW.action,
    NEW.outcome, NEW.reason_code, NEW.target_type, NEW.target_id, NEW.entity_id,
    NEW.request_id, NEW.correlation_id, NEW.ip_address, NEW.user_agent, NEW.details,
    v_prev, v_hash
  );

  UPDATE audit_chain_head SET last_seq = v_seq, last_hash = v_hash WHERE singleton;
  DELETE FROM audit_pending WHERE id = NEW.id;
  RETURN NULL;
EXCEPTION WHEN OTHERS THEN
  -- One SQLSTATE for every sealing failure, so that no caller mistakes it
  -- for an error of its own statements, such as a unique violation.
  RAISE EXCEPTION 'audit event could not be sealed: % (SQLSTATE %)', SQLERRM, SQLSTATE
    USING ERRCODE = 'PX503';
END
$$;

CREATE CONSTRAINT TRIGGER audit_pending_seal
AFTER INSERT ON audit_pending
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION audit_seal();

CREATE TABLE audit_checkpoints (
  tree_size bigint PRIMARY KEY CHECK (tree_size > 0),
  root_hash bytea NOT NULL CHECK (octet_length(root_hash) = 32),
  signed_at timestamptz NOT NULL,
  key_id text NOT NULL,
  signature bytea NOT NULL,
  -- The roots of the perfect subtrees at tree_size, largest first. The next
  -- checkpoint resumes from them instead of rereading every event hash.
  frontier bytea[] NOT NULL
);

CREATE TRIGGER audit_checkpoints_no_update_delete
BEFORE UPDATE OR DELETE ON audit_checkpoints
FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();

CREATE TRIGGER audit_checkpoints_no_truncate
BEFORE TRUNCATE ON audit_checkpoints
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();

REVOKE INSERT ON audit_events FROM peytonix_app;
REVOKE UPDATE (last_seq) ON audit_chain_head FROM peytonix_app;
REVOKE UPDATE ON audit_chain_head FROM peytonix_app;
REVOKE ALL ON FUNCTION audit_seal() FROM PUBLIC;
GRANT SELECT, INSERT ON audit_checkpoints TO peytonix_app;
GRANT INSERT ON audit_pending TO peytonix_app;
