-- Hash chain and signed checkpoints for the audit trail.
--
-- Every event stores prev_hash and hash = SHA-256(0x00 || prev_hash ||
-- JCS(event)), where JCS is the RFC 8785 canonical JSON of the event as
-- apps/server/src/modules/audit-trail/chain/audit-record.ts defines it.
-- The chain head keeps the last hash next to the last sequence number, so
-- one locked row read gives an appender both. audit_append() assigns the
-- number, the time and the hash while holding that lock, which is why
-- concurrent writers can neither fork the chain nor leave a gap.
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

-- The canonical text arrives in three fragments from the application, which
-- leaves two holes: the time after "occurredAt": and the number after
-- "seq":. Both are only known once the head row is locked.
CREATE FUNCTION audit_append(
  p_actor_type text,
  p_actor_id uuid,
  p_on_behalf_of uuid,
  p_channel text,
  p_action text,
  p_outcome text,
  p_reason_code text,
  p_target_type text,
  p_target_id text,
  p_entity_id uuid,
  p_request_id text,
  p_correlation_id text,
  p_ip_address text,
  p_user_agent text,
  p_details jsonb,
  p_canonical_head text,
  p_canonical_middle text,
  p_canonical_tail text
) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_seq bigint;
  v_prev bytea;
  v_time timestamptz;
  v_hash bytea;
BEGIN
  SELECT last_seq + 1, last_hash INTO v_seq, v_prev
  FROM audit_chain_head WHERE singleton FOR UPDATE;

  v_time := clock_timestamp();
  v_hash := sha256(
    '\x00'::bytea || v_prev || convert_to(
      p_canonical_head
        || '"' || to_char(v_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"'
        || p_canonical_middle || v_seq::text || p_canonical_tail,
      'UTF8'));

  INSERT INTO audit_events (
    seq, occurred_at, actor_type, actor_id, on_behalf_of, channel, action, outcome,
    reason_code, target_type, target_id, entity_id, request_id, correlation_id,
    ip_address, user_agent, details, prev_hash, hash
  ) VALUES (
    v_seq, v_time, p_actor_type, p_actor_id, p_on_behalf_of, p_channel, p_action, p_outcome,
    p_reason_code, p_target_type, p_target_id, p_entity_id, p_request_id, p_correlation_id,
    p_ip_address, p_user_agent, p_details, v_prev, v_hash
  );

  UPDATE audit_chain_head SET last_seq = v_seq, last_hash = v_hash WHERE singleton;
  RETURN v_seq;
END
$$;

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

GRANT SELECT, UPDATE (last_seq, last_hash) ON audit_chain_head TO peytonix_app;
GRANT SELECT, INSERT ON audit_checkpoints TO peytonix_app;
GRANT EXECUTE ON FUNCTION audit_append(text, uuid, uuid, text, text, text, text, text, text, uuid, text, text, text, text, jsonb, text, text, text) TO peytonix_app;
