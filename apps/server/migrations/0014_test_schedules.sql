-- Test schedules: input bindings on test versions, and what a background
-- job needs to queue each cron fire of an active version exactly once.
--
-- A version binds each named input to a dataset of the test's entity, at a
-- fixed version or the latest. A version with a schedule binds every
-- input, so a scheduled run needs nobody to name its inputs.

ALTER TABLE test_versions
  ADD COLUMN bindings jsonb NOT NULL DEFAULT '{}'::jsonb
  CHECK (jsonb_typeof(bindings) = 'object');

-- Bindings are content, so they are frozen with the rest of it. Same rule
-- as 0011, with bindings added to the list.
CREATE OR REPLACE FUNCTION test_versions_freeze_content() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.test_id, NEW.version, NEW.name, NEW.description, NEW.control_reference, NEW.severity,
      NEW.sql, NEW.summary_sql, NEW.inputs, NEW.parameters, NEW.key_columns, NEW.schedule,
      NEW.bindings, NEW.created_by, NEW.created_at)
     IS DISTINCT FROM
     (OLD.test_id, OLD.version, OLD.name, OLD.description, OLD.control_reference, OLD.severity,
      OLD.sql, OLD.summary_sql, OLD.inputs, OLD.parameters, OLD.key_columns, OLD.schedule,
      OLD.bindings, OLD.created_by, OLD.created_at) THEN
    RAISE EXCEPTION 'test version % content is immutable; draft a new version', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;

-- The latest cron fire that a scheduled run was queued (or skipped) for,
-- one row per test. Claiming a fire moves fired_at forward only, so two
-- workers, or a retried tick, cannot both claim the same fire. The
-- application role has no privilege on this table: only the two definer
-- functions below read and write it.
CREATE TABLE test_schedule_fires (
  test_id uuid PRIMARY KEY REFERENCES test_definitions (id) ON DELETE RESTRICT,
  version_id uuid NOT NULL REFERENCES test_versions (id) ON DELETE RESTRICT,
  fired_at timestamptz NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now()
);

-- The definer functions below run as the owner, and FORCE makes the owner
-- subject to row-level security. These policies let the owner read tests
-- and versions, and nothing more.
CREATE POLICY test_definitions_owner_read ON test_definitions FOR SELECT TO CURRENT_USER
  USING (true);
CREATE POLICY test_versions_owner_read ON test_versions FOR SELECT TO CURRENT_USER
  USING (true);

-- Scheduling metadata of every active test version that has a schedule,
-- across all entities, because the scheduler must find due schedules
-- before it knows whose scope to act in. It returns ids, the cron
-- expression and two times, never a test's content. Tests in archived
-- entities are left out, so their schedules do not fire.
CREATE FUNCTION peytonix_scheduled_tests()
RETURNS TABLE (
  test_id uuid,
  entity_id uuid,
  owner_id uuid,
  version_id uuid,
  schedule text,
  activated_at timestamptz,
  last_fired_at timestamptz
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT tests.id, tests.entity_id, tests.owner_id, versions.id, versions.schedule,
         coalesce(versions.decided_at, versions.created_at), fires.fired_at
  FROM public.test_definitions AS tests
  JOIN public.entities AS entities ON entities.id = tests.entity_id AND entities.status = 'active'
  JOIN public.test_versions AS versions
    ON versions.test_id = tests.id AND versions.state = 'active'
  LEFT JOIN public.test_schedule_fires AS fires ON fires.test_id = tests.id
  WHERE versions.schedule IS NOT NULL
  ORDER BY tests.id
$$;
REVOKE ALL ON FUNCTION peytonix_scheduled_tests() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peytonix_scheduled_tests() TO peytonix_app;

-- Claim the fire at p_fired_at for a test, and return whether this call
-- claimed it. It returns false when the version is not the test's active
-- version with a schedule, or when a fire at or after p_fired_at is already
-- claimed. A concurrent claim of the same test waits for this transaction
-- to end, then sees the claim (or its rollback), so exactly one of them
-- returns true. The caller computes the fire time from the cron expression.
CREATE FUNCTION peytonix_claim_test_schedule_fire(
  p_test_id uuid,
  p_version_id uuid,
  p_fired_at timestamptz
) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_claimed boolean;
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM public.test_versions
    WHERE id = p_version_id AND test_id = p_test_id AND state = 'active'
      AND schedule IS NOT NULL
  ) THEN
    RETURN false;
  END IF;

  INSERT INTO public.test_schedule_fires AS fires (test_id, version_id, fired_at)
  VALUES (p_test_id, p_version_id, p_fired_at)
  ON CONFLICT (test_id) DO UPDATE
    SET version_id = excluded.version_id, fired_at = excluded.fired_at, claimed_at = now()
    WHERE fires.fired_at < excluded.fired_at
  RETURNING true INTO v_claimed;
  RETURN coalesce(v_claimed, false);
END
$$;
REVOKE ALL ON FUNCTION peytonix_claim_test_schedule_fire(uuid, uuid, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peytonix_claim_test_schedule_fire(uuid, uuid, timestamptz)
  TO peytonix_app;
