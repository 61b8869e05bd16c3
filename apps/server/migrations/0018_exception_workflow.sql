-- Exception workflow: investigation, disposition, review and sign-off.
--
-- An exception moves open -> in_progress (assigned to a preparer) ->
-- proposed (a disposition with a rationale) -> closed (a reviewer
-- approved it; a risk acceptance also needs management). A reviewer may
-- return a proposal to in_progress. A run over the same inputs closes an
-- open exception whose key it no longer finds (closed_run_id), unless a
-- sign-off covers it, and reopens one closed as
-- remediated, or closed by a run, whose key it finds again
-- (reopened_run_id). The service checks role, scope and separation of
-- duties; the constraints below keep each state's columns consistent.

ALTER TABLE exceptions
  DROP CONSTRAINT exceptions_status_check,
  DROP CONSTRAINT exceptions_check,
  ADD COLUMN severity text CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  ADD COLUMN due_on date,
  ADD COLUMN assignee_id uuid REFERENCES users (id),
  ADD COLUMN disposition text CHECK (disposition IN (
    'false_positive', 'control_deficiency', 'remediated', 'risk_accepted', 'duplicate')),
  ADD COLUMN rationale text CHECK (length(rationale) BETWEEN 1 AND 4000),
  ADD COLUMN duplicate_of uuid REFERENCES exceptions (id),
  ADD COLUMN proposed_by uuid REFERENCES users (id),
  ADD COLUMN proposed_at timestamptz,
  ADD COLUMN reviewed_by uuid REFERENCES users (id),
  ADD COLUMN reviewed_at timestamptz,
  ADD COLUMN risk_accepted_by uuid REFERENCES users (id),
  ADD COLUMN risk_accepted_at timestamptz,
  ADD COLUMN closed_at timestamptz,
  ADD COLUMN reopened_run_id uuid REFERENCES runs (id),
  -- Every update adds 1 (trigger below); clients send it back to detect a concurrent change.
  ADD COLUMN revision integer NOT NULL DEFAULT 1;

-- The backfill reads and writes every row, so row-level security is lifted
-- for the migrating owner until the end of it, inside this transaction.
ALTER TABLE exceptions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE runs NO FORCE ROW LEVEL SECURITY;
ALTER TABLE test_versions NO FORCE ROW LEVEL SECURITY;

UPDATE exceptions AS e
   SET severity = v.severity,
       closed_at = CASE WHEN e.status = 'closed' THEN e.updated_at END
  FROM runs AS r
  JOIN test_versions AS v ON v.id = r.test_version_id
 WHERE r.id = e.first_run_id;

ALTER TABLE exceptions FORCE ROW LEVEL SECURITY;
ALTER TABLE runs FORCE ROW LEVEL SECURITY;
ALTER TABLE test_versions FORCE ROW LEVEL SECURITY;

ALTER TABLE exceptions
  ALTER COLUMN severity SET NOT NULL,
  ADD CONSTRAINT exceptions_status_check
    CHECK (status IN ('open', 'in_progress', 'proposed', 'closed')),
  ADD CONSTRAINT exceptions_closed_at_check CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
  -- A closed exception was closed by a run that no longer found it, or by a review.
  ADD CONSTRAINT exceptions_closed_how_check CHECK (
    status <> 'closed' OR closed_run_id IS NOT NULL OR reviewed_by IS NOT NULL),
  ADD CONSTRAINT exceptions_open_unassigned_check CHECK (status <> 'open' OR assignee_id IS NULL),
  ADD CONSTRAINT exceptions_in_progress_check CHECK (
    status NOT IN ('in_progress', 'proposed') OR assignee_id IS NOT NULL),
  ADD CONSTRAINT exceptions_proposal_check CHECK (
    (disposition IS NULL) = (rationale IS NULL)
    AND (disposition IS NULL) = (proposed_by IS NULL)
    AND (proposed_by IS NULL) = (proposed_at IS NULL)),
  ADD CONSTRAINT exceptions_proposed_check CHECK (status <> 'proposed' OR disposition IS NOT NULL),
  ADD CONSTRAINT exceptions_duplicate_check CHECK (
    (disposition IS NOT DISTINCT FROM 'duplicate') = (duplicate_of IS NOT NULL)
    AND duplicate_of IS DISTINCT FROM id),
  ADD CONSTRAINT exceptions_review_check CHECK ((reviewed_by IS NULL) = (reviewed_at IS NULL)),
  ADD CONSTRAINT exceptions_risk_check CHECK (
    (risk_accepted_by IS NULL) = (risk_accepted_at IS NULL)
    AND (risk_accepted_by IS NULL OR disposition = 'risk_accepted')),
  -- A closed risk acceptance carries both approvals.
  ADD CONSTRAINT exceptions_risk_closed_check CHECK (
    status <> 'closed' OR disposition IS DISTINCT FROM 'risk_accepted'
    OR risk_accepted_by IS NOT NULL),
  -- Separation of duties, backed up here: the proposer approves nothing.
  ADD CONSTRAINT exceptions_proposer_not_reviewer_check CHECK (
    reviewed_by IS DISTINCT FROM proposed_by OR proposed_by IS NULL),
  ADD CONSTRAINT exceptions_proposer_not_risk_approver_check CHECK (
    risk_accepted_by IS DISTINCT FROM proposed_by OR proposed_by IS NULL),
  ADD CONSTRAINT exceptions_reviewer_not_risk_approver_check CHECK (
    risk_accepted_by IS DISTINCT FROM reviewed_by OR reviewed_by IS NULL);

CREATE INDEX exceptions_entity_status_idx ON exceptions (entity_id, status, created_at);
CREATE INDEX exceptions_assignee_idx ON exceptions (assignee_id) WHERE assignee_id IS NOT NULL;

CREATE FUNCTION exceptions_bump_revision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.revision := OLD.revision + 1;
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE TRIGGER exceptions_bump_revision
BEFORE UPDATE ON exceptions
FOR EACH ROW EXECUTE FUNCTION exceptions_bump_revision();

GRANT UPDATE (severity, due_on, assignee_id, disposition, rationale, duplicate_of, proposed_by,
              proposed_at, reviewed_by, reviewed_at, risk_accepted_by, risk_accepted_at,
              closed_at, reopened_run_id)
  ON exceptions TO peytonix_app;

-- Every step of an exception's workflow, including the ones a run makes.
-- Append-only; actor_id is null for steps the platform takes itself.
CREATE TABLE exception_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  exception_id uuid NOT NULL REFERENCES exceptions (id) ON DELETE RESTRICT,
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE RESTRICT,
  action text NOT NULL CHECK (action IN (
    'assigned', 'proposed', 'approved', 'risk_accepted', 'returned', 'closed_by_run',
    'reopened', 'retest_requested')),
  from_status text NOT NULL,
  to_status text NOT NULL,
  actor_id uuid REFERENCES users (id),
  assignee_id uuid REFERENCES users (id),
  disposition text,
  rationale text CHECK (length(rationale) <= 4000),
  comment text CHECK (length(comment) <= 4000),
  run_id uuid REFERENCES runs (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX exception_events_exception_idx ON exception_events (exception_id, id);
-- The trend of a test counts, per run, the exceptions that run closed.
CREATE INDEX exception_events_closed_by_run_idx ON exception_events (run_id)
  WHERE action = 'closed_by_run';

CREATE TRIGGER exception_events_no_update_delete
BEFORE UPDATE OR DELETE ON exception_events
FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();

-- Comments never change. Editing one adds a version with the same
-- thread_id (the first version's id); every version stays visible.
CREATE TABLE exception_comments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  exception_id uuid NOT NULL REFERENCES exceptions (id) ON DELETE RESTRICT,
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE RESTRICT,
  thread_id uuid NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
  author_id uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (thread_id, version),
  CHECK ((version = 1) = (thread_id = id))
);
CREATE INDEX exception_comments_exception_idx ON exception_comments (exception_id, created_at);

CREATE TRIGGER exception_comments_no_update_delete
BEFORE UPDATE OR DELETE ON exception_comments
FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();

-- Retests: a run requested after remediation, linked to the exceptions it
-- rechecks. Whether each key came back is read from run_exceptions.
CREATE TABLE exception_retests (
  exception_id uuid NOT NULL REFERENCES exceptions (id) ON DELETE RESTRICT,
  run_id uuid NOT NULL REFERENCES runs (id) ON DELETE RESTRICT,
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE RESTRICT,
  requested_by uuid NOT NULL REFERENCES users (id),
  requested_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (exception_id, run_id)
);
CREATE INDEX exception_retests_run_idx ON exception_retests (run_id);

-- Sign-offs on a run's results or on an engagement's workpapers. A
-- preparer signs, then a reviewer. Each records the SHA-256 of the
-- canonical state it signed; a later change to that state makes it stale.
-- A withdrawal (reason and who) marks it stale on purpose, so the item can
-- change. Rows are never deleted, and only withdrawal columns change.
CREATE TABLE sign_offs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE RESTRICT,
  target_type text NOT NULL CHECK (target_type IN ('run', 'engagement')),
  target_id uuid NOT NULL,
  level text NOT NULL CHECK (level IN ('preparer', 'reviewer')),
  signed_by uuid NOT NULL REFERENCES users (id),
  signed_at timestamptz NOT NULL DEFAULT now(),
  content_sha256 bytea NOT NULL CHECK (octet_length(content_sha256) = 32),
  -- The preparer sign-off a reviewer sign-off confirms.
  confirms_id uuid REFERENCES sign_offs (id),
  withdrawn_by uuid REFERENCES users (id),
  withdrawn_at timestamptz,
  withdrawal_reason text CHECK (length(withdrawal_reason) BETWEEN 1 AND 2000),
  CHECK ((level = 'reviewer') = (confirms_id IS NOT NULL)),
  CHECK ((withdrawn_by IS NULL) = (withdrawn_at IS NULL)
     AND (withdrawn_by IS NULL) = (withdrawal_reason IS NULL))
);
CREATE INDEX sign_offs_target_idx ON sign_offs (target_type, target_id, signed_at DESC);

CREATE FUNCTION sign_offs_check_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'sign-off % cannot be deleted', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.withdrawn_at IS NOT NULL
     OR (NEW.id, NEW.entity_id, NEW.target_type, NEW.target_id, NEW.level, NEW.signed_by,
         NEW.signed_at, NEW.content_sha256, NEW.confirms_id)
        IS DISTINCT FROM
        (OLD.id, OLD.entity_id, OLD.target_type, OLD.target_id, OLD.level, OLD.signed_by,
         OLD.signed_at, OLD.content_sha256, OLD.confirms_id) THEN
    RAISE EXCEPTION 'sign-off % can only be withdrawn, once', OLD.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER sign_offs_check_change
BEFORE UPDATE OR DELETE ON sign_offs
FOR EACH ROW EXECUTE FUNCTION sign_offs_check_change();

-- Row-level security, as for the other entity-scoped tables.
DO $$
DECLARE
  scoped text;
BEGIN
  FOREACH scoped IN ARRAY ARRAY['exception_events', 'exception_comments', 'exception_retests',
                                'sign_offs'] LOOP
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

GRANT SELECT, INSERT ON exception_events, exception_comments, exception_retests, sign_offs
  TO peytonix_app;
GRANT UPDATE (withdrawn_by, withdrawn_at, withdrawal_reason) ON sign_offs TO peytonix_app;

-- Whether a user holds one of the roles on an entity, for checking an
-- assignee. Grants on ancestors count, and only active users hold roles.
-- The entity must be in the caller's own scope, so no one can probe the
-- access of others outside it.
CREATE FUNCTION peytonix_user_holds(p_user uuid, p_entity uuid, p_roles text[]) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT p_entity IN (SELECT public.peytonix_actor_entities())
     AND EXISTS (
       SELECT 1
         FROM public.role_grants AS grants
         JOIN public.entity_closure AS closure ON closure.ancestor_id = grants.entity_id
         JOIN public.users AS users ON users.id = grants.user_id AND users.status = 'active'
        WHERE grants.user_id = p_user
          AND closure.descendant_id = p_entity
          AND grants.role = ANY (p_roles))
$$;
REVOKE ALL ON FUNCTION peytonix_user_holds(uuid, uuid, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peytonix_user_holds(uuid, uuid, text[]) TO peytonix_app;

-- The sign-offs that make an exception read-only: those on any run that
-- flagged it and those on an engagement above its entity, unless
-- withdrawn. A definer function, because an engagement can sit above the
-- caller's own scope, and its sign-off must bind the caller all the same.
-- The caller passes the runs that flagged the exception, which it reads
-- itself; run sign-offs count only in the caller's scope, and the entity
-- must be in it, so nothing outside the scope can be probed. It returns
-- ids and targets only.
CREATE POLICY sign_offs_owner_read ON sign_offs FOR SELECT TO CURRENT_USER USING (true);

CREATE FUNCTION peytonix_sign_offs_covering(p_entity uuid, p_runs uuid[])
RETURNS TABLE (sign_off_id uuid, target_type text, target_id uuid, level text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT s.id, s.target_type, s.target_id, s.level
    FROM public.sign_offs AS s
   WHERE p_entity IN (SELECT public.peytonix_actor_entities())
     AND s.withdrawn_at IS NULL
     AND ((s.target_type = 'run' AND s.target_id = ANY (p_runs)
           AND s.entity_id IN (SELECT public.peytonix_actor_entities()))
       OR (s.target_type = 'engagement' AND s.target_id IN (
             SELECT closure.ancestor_id FROM public.entity_closure AS closure
              WHERE closure.descendant_id = p_entity)))
   ORDER BY s.signed_at
$$;
REVOKE ALL ON FUNCTION peytonix_sign_offs_covering(uuid, uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peytonix_sign_offs_covering(uuid, uuid[]) TO peytonix_app;
