-- Run cancellation, and the order in which a run's status may move.
--
-- A user with runs.execute on a run's entity may cancel it while it is
-- queued or running. The cancel is one UPDATE conditional on that status,
-- and the worker records a result with an UPDATE conditional on 'running',
-- so of a cancel and a finishing run exactly one wins.

ALTER TABLE runs
  ADD COLUMN cancelled_by uuid REFERENCES users (id),
  -- Null on a cancelled run is allowed, for a cancel that no user made.
  ADD CONSTRAINT runs_cancelled_by_only_when_cancelled
    CHECK (cancelled_by IS NULL OR status = 'cancelled');

GRANT UPDATE (cancelled_by) ON runs TO peytonix_app;

-- A run moves forward only: queued to running, cancelled or failed (a
-- failed dispatch); running to succeeded, failed, timed_out or cancelled.
-- A run that has ended never changes again, so a late write of a worker or
-- of a cancel cannot overwrite its outcome, even through a bug.
CREATE FUNCTION runs_check_status_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status IN ('succeeded', 'failed', 'timed_out', 'cancelled') THEN
    RAISE EXCEPTION 'run % has ended with status % and cannot change', OLD.id, OLD.status
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'queued' AND NEW.status IN ('running', 'cancelled', 'failed'))
    OR (OLD.status = 'running' AND NEW.status IN ('succeeded', 'failed', 'timed_out', 'cancelled'))
  ) THEN
    RAISE EXCEPTION 'run % cannot move from status % to %', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER runs_check_status_change
BEFORE UPDATE ON runs
FOR EACH ROW EXECUTE FUNCTION runs_check_status_change();

-- Counts one user's queued and running previews, which a new preview
-- request checks against PEYTONIX_MAX_ACTIVE_PREVIEWS_PER_USER.
CREATE INDEX runs_active_previews_idx ON runs (requested_by)
  WHERE preview AND status IN ('queued', 'running');
