-- Hash chain and signed checkpoints for the audit trail.
--
-- Every event stores prev_hash and hash = SHA-256(0x00 || prev_hash ||
-- JCS(event)), where JCS is the RFC 8785 canonical JSON of the event as
-- apps/server/src/modules/audit-trail/chain/audit-record.ts defines it.
--
-- An append has two steps. appendAuditEvent() inserts the event into
-- audit_pending inside the transaction of the change it records, so the
-- two commit or roll back together, and concurrent writers do not wait on
-- each other. audit_seal_pending() then moves committed pending events into
-- audit_events in id order, assigning each the next sequence number and
-- hash. It holds one advisory lock while it does, so there is one sealer at
-- a time: the chain cannot fork and the sequence has no gaps. The server
-- seals continuously, and every reader of the trail seals first.
--
-- The application role may only SELECT audit_events and the chain head,
-- and only INSERT audit_pending. audit_seal_pending() writes the rest as
-- the table owner (SECURITY DEFINER).
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

-- Events written but not yet sealed into the chain. The CHECK constraints
-- repeat those of audit_events, so a row that could not be sealed is
-- rejected when it is written, instead of stopping the sealer later.
-- occurred_at and id are set by the database: the application role may
-- not insert them (see the column grants below).
CREATE TABLE audit_pending (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'system', 'scim', 'ai')),
  actor_id uuid,
  on_behalf_of uuid,
  channel text NOT NULL CHECK (channel IN ('api', 'cli', 'worker', 'scim', 'sso')),
  action text NOT NULL CHECK (action ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$'),
  outcome text NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  reason_code text,
  target_type text,
  target_id text,
  entity_id uuid,
  request_id text,
  correlation_id text,
  ip_address text CHECK (ip_address IS NULL OR ip_address::inet IS NOT NULL),
  user_agent text CHECK (length(user_agent) <= 1024),
  -- The RFC 8785 canonical JSON of the details object, hashed as it stands.
  -- No raw line break: canonical JSON has none, and an export line must
  -- stay one line. 1 MiB is far above what any event records.
  details_jcs text NOT NULL CHECK (
    octet_length(details_jcs) <= 1048576
    AND details_jcs !~ '[\n\r]'
    AND jsonb_typeof(details_jcs::jsonb) = 'object'
  ),
  CHECK (actor_type <> 'user' OR actor_id IS NOT NULL),
  CHECK (actor_type <> 'ai' OR on_behalf_of IS NOT NULL)
);

-- Pending rows are never changed, and only the sealer deletes them: it
-- sets peytonix.sealing for its own transaction first.
CREATE FUNCTION audit_pending_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('peytonix.sealing', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_pending rows may only be sealed: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_pending_no_update_delete
BEFORE UPDATE OR DELETE ON audit_pending
FOR EACH ROW EXECUTE FUNCTION audit_pending_guard();

CREATE TRIGGER audit_pending_no_truncate
BEFORE TRUNCATE ON audit_pending
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();

-- audit_events keeps the details text that was hashed, next to the jsonb
-- copy that queries use.
ALTER TABLE audit_events ADD COLUMN details_jcs text NOT NULL;

-- The head now advances by a whole batch at a time, but never back.
CREATE OR REPLACE FUNCTION audit_chain_head_advance_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.last_seq <= OLD.last_seq THEN
    RAISE EXCEPTION 'audit_chain_head.last_seq may only advance (from % to %)', OLD.last_seq, NEW.last_seq
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;

-- The RFC 8785 canonical JSON of an event, built from the stored columns,
-- so that what is hashed is exactly what is stored. Members are in the
-- code-unit order that RFC 8785 requires, and to_json() escapes strings as
-- ECMAScript's JSON.stringify does. The TypeScript twin is
-- canonicalEventText() in chain/canonical-event.ts.
CREATE FUNCTION audit_canonical_event(r audit_pending, p_seq bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"action":' || to_json(r.action)::text
    || ',"actorId":' || coalesce(to_json(r.actor_id::text)::text, 'null')
    || ',"actorType":' || to_json(r.actor_type)::text
    || ',"channel":' || to_json(r.channel)::text
    || ',"correlationId":' || coalesce(to_json(r.correlation_id)::text, 'null')
    || ',"details":' || r.details_jcs
    || ',"entityId":' || coalesce(to_json(r.entity_id::text)::text, 'null')
    || ',"ipAddress":' || coalesce(to_json(r.ip_address)::text, 'null')
    || ',"occurredAt":"' || to_char(r.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"'
    || ',"onBehalfOf":' || coalesce(to_json(r.on_behalf_of::text)::text, 'null')
    || ',"outcome":' || to_json(r.outcome)::text
    || ',"reasonCode":' || coalesce(to_json(r.reason_code)::text, 'null')
    || ',"requestId":' || coalesce(to_json(r.request_id)::text, 'null')
    || ',"seq":' || p_seq::text
    || ',"targetId":' || coalesce(to_json(r.target_id)::text, 'null')
    || ',"targetType":' || coalesce(to_json(r.target_type)::text, 'null')
    || ',"userAgent":' || coalesce(to_json(r.user_agent)::text, 'null')
    || '}'
$$;

-- Seal up to p_limit pending events and return how many were sealed.
-- Sealers queue on the advisory lock; each statement after it sees every
-- event committed before the previous sealer released it.
CREATE FUNCTION audit_seal_pending(p_limit integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_seq bigint;
  v_prev bytea;
  v_hash bytea;
  v_sealed integer := 0;
  v_ids bigint[] := '{}';
  r audit_pending%ROWTYPE;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 100000 THEN
    RAISE EXCEPTION 'audit_seal_pending: limit % is outside 1 to 100000', p_limit
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- A snapshot older than the lock could miss the last sealer's head.
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'audit_seal_pending must run in a READ COMMITTED transaction, not %',
      current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state';
  END IF;

  -- Most calls find nothing to seal; returning before the lock keeps them
  -- read-only, so the server's frequent polling writes nothing.
  IF NOT EXISTS (SELECT 1 FROM audit_pending) THEN
    RETURN 0;
  END IF;

  -- Only this function writes the head, always under this lock, so a plain
  -- read of the head after taking it sees the last sealer's commit. The
  -- lock timeout bounds how long a stuck holder can stall a reader.
  SET LOCAL lock_timeout = '5s';
  PERFORM pg_advisory_xact_lock(hashtext('peytonix.audit_chain'));
  SELECT last_seq, last_hash INTO v_seq, v_prev FROM audit_chain_head WHERE singleton;

  FOR r IN SELECT * FROM audit_pending ORDER BY id LIMIT p_limit LOOP
    v_seq := v_seq + 1;
    v_hash := sha256('\x00'::bytea || v_prev || convert_to(audit_canonical_event(r, v_seq), 'UTF8'));

    INSERT INTO audit_events (
      seq, occurred_at, actor_type, actor_id, on_behalf_of, channel, action, outcome,
      reason_code, target_type, target_id, entity_id, request_id, correlation_id,
      ip_address, user_agent, details, details_jcs, prev_hash, hash
    ) VALUES (
      v_seq, r.occurred_at, r.actor_type, r.actor_id, r.on_behalf_of, r.channel, r.action,
      r.outcome, r.reason_code, r.target_type, r.target_id, r.entity_id,
      r.request_id, r.correlation_id, r.ip_address, r.user_agent, r.details_jcs::jsonb,
      r.details_jcs, v_prev, v_hash
    );
    v_prev := v_hash;
    v_sealed := v_sealed + 1;
    v_ids := v_ids || r.id;
  END LOOP;

  -- Delete exactly the rows sealed: a row with a lower id may have been
  -- committed after the loop began, and it waits for the next call.
  IF v_sealed > 0 THEN
    PERFORM set_config('peytonix.sealing', 'on', true);
    DELETE FROM audit_pending WHERE id = ANY (v_ids);
    PERFORM set_config('peytonix.sealing', 'off', true);
    UPDATE audit_chain_head SET last_seq = v_seq, last_hash = v_prev WHERE singleton;
  END IF;
  RETURN v_sealed;
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

REVOKE INSERT ON audit_events FROM peytonix_app;
REVOKE UPDATE (last_seq) ON audit_chain_head FROM peytonix_app;
REVOKE UPDATE ON audit_chain_head FROM peytonix_app;
REVOKE ALL ON FUNCTION audit_seal_pending(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_seal_pending(integer) TO peytonix_app;
GRANT SELECT, INSERT ON audit_checkpoints TO peytonix_app;
GRANT INSERT (
  actor_type, actor_id, on_behalf_of, channel, action, outcome, reason_code, target_type,
  target_id, entity_id, request_id, correlation_id, ip_address, user_agent, details_jcs
) ON audit_pending TO peytonix_app;
