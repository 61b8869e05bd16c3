-- Runs whose worker died.
--
-- A worker that executes a run writes heartbeat_at when it claims the run
-- and every few seconds until the run ends. A worker killed by the kernel,
-- a crash or a lost machine stops writing, and its run would otherwise stay
-- 'running' forever. peytonix_fail_lost_runs ends such runs as 'failed'
-- with the code WORKER_LOST, and the caller audits each one.

ALTER TABLE runs ADD COLUMN heartbeat_at timestamptz;

GRANT UPDATE (heartbeat_at) ON runs TO peytonix_app;

CREATE INDEX runs_running_heartbeat_idx ON runs (coalesce(heartbeat_at, started_at))
  WHERE status = 'running';

-- The definer function below runs as the owner, and FORCE makes the owner
-- subject to row-level security. These policies let the owner read running
-- runs and move them to 'failed', and nothing more. It reads tests through
-- test_definitions_owner_read from 0014.
CREATE POLICY runs_owner_read_running ON runs FOR SELECT TO CURRENT_USER
  USING (status = 'running');
CREATE POLICY runs_owner_fail_running ON runs FOR UPDATE TO CURRENT_USER
  USING (status = 'running')
  WITH CHECK (status = 'failed' AND error_code = 'WORKER_LOST');

-- End every run that is 'running' and whose last heartbeat (or start, for
-- a run claimed before heartbeats existed) is older than p_stale_seconds,
-- across all entities, because the worker that would have ended it is
-- gone. Returns the ended runs, for their audit events. The floor of 60
-- seconds keeps a caller from failing runs whose worker is alive but slow
-- to write.
CREATE FUNCTION peytonix_fail_lost_runs(p_stale_seconds integer)
RETURNS TABLE (
  run_id uuid,
  entity_id uuid,
  test_key text,
  requested_by uuid,
  preview boolean,
  last_heartbeat_at timestamptz
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF p_stale_seconds IS NULL OR p_stale_seconds < 60 THEN
    RAISE EXCEPTION 'p_stale_seconds must be at least 60, got %', p_stale_seconds
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  RETURN QUERY
  UPDATE public.runs AS runs
     SET status = 'failed',
         finished_at = now(),
         error_code = 'WORKER_LOST',
         error_message = format(
           'The worker executing this run stopped without recording a result: it wrote no '
           'heartbeat for %s seconds. Nothing was recorded; request the run again.',
           p_stale_seconds)
    FROM public.test_definitions AS tests
   WHERE tests.id = runs.test_id
     AND runs.status = 'running'
     AND coalesce(runs.heartbeat_at, runs.started_at)
         < now() - make_interval(secs => p_stale_seconds)
  RETURNING runs.id, tests.entity_id, tests.key, runs.requested_by, runs.preview,
            coalesce(runs.heartbeat_at, runs.started_at);
END;
$$;
REVOKE ALL ON FUNCTION peytonix_fail_lost_runs(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION peytonix_fail_lost_runs(integer) TO peytonix_app;
