-- The audit trail: who did what, to which target, with what outcome.
--
-- Rows are appended and never changed. The application role may only
-- INSERT and SELECT, and a trigger rejects UPDATE, DELETE and TRUNCATE for
-- every role, the table owner included. Sequence numbers come from the
-- single-row audit_chain_head, which each append updates inside the
-- writer's own transaction: concurrent writers queue on that row lock, and
-- a rolled-back append gives its number back, so the sequence has no gaps.

CREATE TABLE audit_chain_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  last_seq bigint NOT NULL CHECK (last_seq >= 0)
);
INSERT INTO audit_chain_head (singleton, last_seq) VALUES (true, 0);

-- The application role may only advance the head by one.
CREATE FUNCTION audit_chain_head_advance_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.last_seq <> OLD.last_seq + 1 THEN
    RAISE EXCEPTION 'audit_chain_head.last_seq may only advance by 1 (from % to %)', OLD.last_seq, NEW.last_seq
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER audit_chain_head_advance_only
BEFORE UPDATE ON audit_chain_head
FOR EACH ROW EXECUTE FUNCTION audit_chain_head_advance_only();

CREATE TABLE audit_events (
  seq bigint PRIMARY KEY CHECK (seq > 0),
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
  ip_address inet,
  user_agent text CHECK (length(user_agent) <= 1024),
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  CHECK (actor_type <> 'user' OR actor_id IS NOT NULL),
  CHECK (actor_type <> 'ai' OR on_behalf_of IS NOT NULL)
);
CREATE INDEX audit_events_entity_idx ON audit_events (entity_id, seq);
CREATE INDEX audit_events_target_idx ON audit_events (target_type, target_id, seq);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, seq);

CREATE FUNCTION audit_events_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_no_update_delete
BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();

CREATE TRIGGER audit_events_no_truncate
BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();

CREATE TRIGGER audit_chain_head_no_delete
BEFORE DELETE OR TRUNCATE ON audit_chain_head
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();

GRANT SELECT, INSERT ON audit_events TO peytonix_app;
GRANT SELECT, UPDATE (last_seq) ON audit_chain_head TO peytonix_app;
