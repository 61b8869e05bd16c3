-- Entity scope in the database, governed change requests and platform
-- settings.
--
-- Row-level security is enabled and FORCED on every table that holds
-- entity-scoped data. The data layer starts each transaction with
--   SELECT set_config('peytonix.actor_user_id', <user id>, true)
-- and the policies join that user to role_grants through entity_closure,
-- so a query that forgets its scope filter still sees nothing outside the
-- actor's subtrees. Without the setting, every policy answers false: no
-- code path reads scoped rows as an unrestricted service.
--
-- The scope function runs as the owner role (SECURITY DEFINER). FORCE makes
-- the owner subject to policies too, so the owner gets explicit read and
-- write policies on the three tables that describe access (entities,
-- entity_closure, role_grants). The owner is the migration role; the
-- server never connects as it. No policy gives the owner the audit data.

CREATE FUNCTION peytonix_actor_user_id() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
  SELECT CASE
    WHEN current_setting('peytonix.actor_user_id', true)
         ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
    THEN current_setting('peytonix.actor_user_id', true)::uuid
  END
$$;

-- (entity, role) for every entity the acting user's grants cover. An
-- inactive user covers nothing, so suspension takes effect on the next
-- statement, like revoking a grant.
CREATE FUNCTION peytonix_actor_scope() RETURNS TABLE (entity_id uuid, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT DISTINCT closure.descendant_id, grants.role
  FROM public.role_grants AS grants
  JOIN public.users AS users ON users.id = grants.user_id AND users.status = 'active'
  JOIN public.entity_closure AS closure ON closure.ancestor_id = grants.entity_id
  WHERE grants.user_id = peytonix_actor_user_id()
$$;

CREATE FUNCTION peytonix_actor_entities() RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT DISTINCT entity_id FROM public.peytonix_actor_scope()
$$;

REVOKE ALL ON FUNCTION peytonix_actor_scope() FROM PUBLIC;
REVOKE ALL ON FUNCTION peytonix_actor_entities() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peytonix_actor_user_id() TO peytonix_app;
GRANT EXECUTE ON FUNCTION peytonix_actor_scope() TO peytonix_app;
GRANT EXECUTE ON FUNCTION peytonix_actor_entities() TO peytonix_app;

-- The roles a user holds anywhere, for the coarse check at each route ("does
-- this user hold the route's permission on any entity?"). Read together
-- with the session on every request, so a revoked grant counts at once.
CREATE FUNCTION peytonix_held_roles(p_user_id uuid) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT coalesce(array_agg(DISTINCT grants.role ORDER BY grants.role), '{}')
  FROM public.role_grants AS grants
  JOIN public.users AS users ON users.id = grants.user_id AND users.status = 'active'
  WHERE grants.user_id = p_user_id
$$;
REVOKE ALL ON FUNCTION peytonix_held_roles(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peytonix_held_roles(uuid) TO peytonix_app;

-- Whether an active administrator exists anywhere. Answered as the owner,
-- because the first-run check happens before anyone has a scope.
CREATE FUNCTION peytonix_active_administrator_exists() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT EXISTS (
    SELECT 1 FROM public.role_grants AS grants
    JOIN public.users AS users ON users.id = grants.user_id
    WHERE grants.role = 'administrator' AND users.status = 'active'
  )
$$;
REVOKE ALL ON FUNCTION peytonix_active_administrator_exists() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peytonix_active_administrator_exists() TO peytonix_app;

-- The one way to write outside any scope: give the first administrator the
-- organization root, creating the root when it does not exist yet. It
-- refuses once an active administrator exists, so calling it later grants
-- nothing.
CREATE FUNCTION peytonix_bootstrap_administrator(p_user_id uuid, p_code text, p_name text)
RETURNS TABLE (entity_id uuid, entity_created boolean, grant_id uuid)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_root uuid;
  v_created boolean := false;
  v_grant uuid;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('peytonix.bootstrap'));

  IF public.peytonix_active_administrator_exists() THEN
    RAISE EXCEPTION 'an active administrator already exists'
      USING ERRCODE = 'unique_violation', CONSTRAINT = 'peytonix_single_bootstrap';
  END IF;

  SELECT id INTO v_root FROM public.entities WHERE parent_id IS NULL;
  IF v_root IS NULL THEN
    INSERT INTO public.entities (parent_id, type, code, name)
    VALUES (NULL, 'organization', p_code, p_name)
    RETURNING id INTO v_root;
    v_created := true;
  END IF;

  INSERT INTO public.role_grants (user_id, role, entity_id, granted_by)
  VALUES (p_user_id, 'administrator', v_root, NULL)
  RETURNING id INTO v_grant;

  RETURN QUERY SELECT v_root, v_created, v_grant;
END
$$;
REVOKE ALL ON FUNCTION peytonix_bootstrap_administrator(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peytonix_bootstrap_administrator(uuid, text, text) TO peytonix_app;

-- Which grant a change came through, for the trail from grant to approval.
ALTER TABLE role_grants ADD COLUMN change_request_id uuid;

-- Governed changes. A request records the target's state as the author saw
-- it (before_state) and the state it asks for (after_state); the diff hash
-- covers both with the kind and target. An approver names the hash of the
-- diff they reviewed, and applying compares the target's current state with
-- before_state, so a change made in between turns the request stale.
CREATE TABLE change_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z_]*\.[a-z][a-z_]*$'),
  -- The entity whose scope both author and approver must cover.
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE RESTRICT,
  target_type text NOT NULL CHECK (target_type ~ '^[a-z][a-z_]{0,63}$'),
  target_key text NOT NULL CHECK (length(target_key) BETWEEN 1 AND 500),
  before_state jsonb NOT NULL,
  after_state jsonb NOT NULL,
  diff_sha256 bytea NOT NULL CHECK (octet_length(diff_sha256) = 32),
  justification text NOT NULL CHECK (length(justification) BETWEEN 1 AND 2000),
  status text NOT NULL DEFAULT 'pending' CHECK (
    status IN ('pending', 'approved', 'applied', 'rejected', 'stale', 'expired')
  ),
  requested_by uuid NOT NULL REFERENCES users (id),
  -- 'ai' when an AI feature drafted the request on behalf of requested_by.
  requested_by_type text NOT NULL CHECK (requested_by_type IN ('user', 'ai')),
  requested_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  decision_note text CHECK (length(decision_note) <= 2000),
  approved_diff_sha256 bytea CHECK (octet_length(approved_diff_sha256) = 32),
  applied_at timestamptz,
  CHECK (expires_at > requested_at),
  CHECK (status NOT IN ('approved', 'applied') OR approved_diff_sha256 = diff_sha256),
  CHECK (status <> 'applied' OR applied_at IS NOT NULL),
  CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
CREATE INDEX change_requests_entity_idx ON change_requests (entity_id, requested_at DESC);
CREATE INDEX change_requests_requester_idx ON change_requests (requested_by, requested_at DESC);
-- One open request per target, so two requests cannot race for one change.
CREATE UNIQUE INDEX change_requests_one_pending
  ON change_requests (kind, target_key) WHERE status = 'pending';

ALTER TABLE role_grants
  ADD CONSTRAINT role_grants_change_request_fk
  FOREIGN KEY (change_request_id) REFERENCES change_requests (id);

-- Content never changes, and a status only moves forward.
CREATE FUNCTION change_requests_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.kind, NEW.entity_id, NEW.target_type, NEW.target_key, NEW.before_state,
      NEW.after_state, NEW.diff_sha256, NEW.justification, NEW.requested_by,
      NEW.requested_by_type, NEW.requested_at, NEW.expires_at)
     IS DISTINCT FROM
     (OLD.kind, OLD.entity_id, OLD.target_type, OLD.target_key, OLD.before_state,
      OLD.after_state, OLD.diff_sha256, OLD.justification, OLD.requested_by,
      OLD.requested_by_type, OLD.requested_at, OLD.expires_at) THEN
    RAISE EXCEPTION 'change request % content is immutable', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;

  IF NOT (
    (OLD.status = 'pending' AND NEW.status IN ('approved', 'rejected', 'stale', 'expired'))
    OR (OLD.status = 'approved' AND NEW.status IN ('applied', 'stale'))
  ) THEN
    RAISE EXCEPTION 'change request % cannot move from % to %', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'change_requests_transition';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER change_requests_guard
BEFORE UPDATE ON change_requests
FOR EACH ROW EXECUTE FUNCTION change_requests_guard();

CREATE TRIGGER change_requests_no_delete
BEFORE DELETE OR TRUNCATE ON change_requests
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();

GRANT SELECT, INSERT ON change_requests TO peytonix_app;
GRANT UPDATE (status, decided_by, decided_at, decision_note, approved_diff_sha256, applied_at)
  ON change_requests TO peytonix_app;

-- Organization-wide settings that administrators change through change
-- requests. The catalogue of keys and their schemas lives in code; a key
-- without a row has its default.
CREATE TABLE platform_settings (
  key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'),
  value jsonb NOT NULL,
  version bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
  change_request_id uuid REFERENCES change_requests (id),
  updated_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON platform_settings TO peytonix_app;
GRANT UPDATE (value, version, change_request_id, updated_at) ON platform_settings TO peytonix_app;

-- Row-level security.

ALTER TABLE entities ENABLE ROW LEVEL SECURITY;
ALTER TABLE entities FORCE ROW LEVEL SECURITY;
CREATE POLICY entities_owner ON entities TO CURRENT_USER USING (true) WITH CHECK (true);
-- A child of a visible entity is in the same subtree. Saying so lets
-- INSERT ... RETURNING see a new entity before the closure trigger has
-- added its rows.
CREATE POLICY entities_read ON entities FOR SELECT TO peytonix_app
  USING (
    id IN (SELECT peytonix_actor_entities())
    OR parent_id IN (SELECT peytonix_actor_entities())
  );
-- A new entity goes below one in scope; the root comes only from bootstrap.
CREATE POLICY entities_create ON entities FOR INSERT TO peytonix_app
  WITH CHECK (parent_id IN (SELECT peytonix_actor_entities()));
-- A move keeps the entity in scope and puts it below an entity in scope.
CREATE POLICY entities_update ON entities FOR UPDATE TO peytonix_app
  USING (id IN (SELECT peytonix_actor_entities()))
  WITH CHECK (
    id IN (SELECT peytonix_actor_entities())
    AND (parent_id IS NULL OR parent_id IN (SELECT peytonix_actor_entities()))
  );

ALTER TABLE entity_closure ENABLE ROW LEVEL SECURITY;
ALTER TABLE entity_closure FORCE ROW LEVEL SECURITY;
CREATE POLICY entity_closure_owner ON entity_closure TO CURRENT_USER USING (true) WITH CHECK (true);
-- A visible entity's path rows (ancestor ids and depths) are visible, so
-- depths below the root can be computed; ancestors' rows stay hidden.
CREATE POLICY entity_closure_read ON entity_closure FOR SELECT TO peytonix_app
  USING (descendant_id IN (SELECT peytonix_actor_entities()));

ALTER TABLE role_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE role_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY role_grants_owner ON role_grants TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY role_grants_read ON role_grants FOR SELECT TO peytonix_app
  USING (
    user_id = peytonix_actor_user_id()
    OR entity_id IN (SELECT peytonix_actor_entities())
  );
CREATE POLICY role_grants_create ON role_grants FOR INSERT TO peytonix_app
  WITH CHECK (entity_id IN (SELECT peytonix_actor_entities()));
CREATE POLICY role_grants_revoke ON role_grants FOR DELETE TO peytonix_app
  USING (entity_id IN (SELECT peytonix_actor_entities()));

-- Tables that carry entity_id: visible and writable within scope.
DO $$
DECLARE
  scoped text;
BEGIN
  FOREACH scoped IN ARRAY ARRAY['datasets', 'test_definitions', 'exceptions'] LOOP
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

-- Tables that belong to a scoped parent: visible when the parent is. The
-- parent's own policy applies inside the EXISTS, so scope has one source.
DO $$
DECLARE
  child record;
BEGIN
  FOR child IN
    SELECT * FROM (VALUES
      ('dataset_versions', 'datasets', 'dataset_id'),
      ('test_versions', 'test_definitions', 'test_id'),
      ('runs', 'test_definitions', 'test_id'),
      ('run_exceptions', 'runs', 'run_id'),
      ('preview_rows', 'runs', 'run_id')
    ) AS t (child_table, parent_table, parent_column)
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', child.child_table);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', child.child_table);
    EXECUTE format(
      'CREATE POLICY %I ON %I TO peytonix_app '
      'USING (EXISTS (SELECT 1 FROM %I AS parent WHERE parent.id = %I)) '
      'WITH CHECK (EXISTS (SELECT 1 FROM %I AS parent WHERE parent.id = %I))',
      child.child_table || '_scope', child.child_table,
      child.parent_table, child.parent_column,
      child.parent_table, child.parent_column);
  END LOOP;
END
$$;

ALTER TABLE change_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE change_requests FORCE ROW LEVEL SECURITY;
-- Authors always see their own requests, even after losing the scope.
CREATE POLICY change_requests_read ON change_requests FOR SELECT TO peytonix_app
  USING (
    requested_by = peytonix_actor_user_id()
    OR entity_id IN (SELECT peytonix_actor_entities())
  );
CREATE POLICY change_requests_create ON change_requests FOR INSERT TO peytonix_app
  WITH CHECK (
    requested_by = peytonix_actor_user_id()
    AND entity_id IN (SELECT peytonix_actor_entities())
  );
CREATE POLICY change_requests_decide ON change_requests FOR UPDATE TO peytonix_app
  USING (entity_id IN (SELECT peytonix_actor_entities()))
  WITH CHECK (entity_id IN (SELECT peytonix_actor_entities()));
