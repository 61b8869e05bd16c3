-- Hardening of sign-in after a review of the first identity release.

-- Removing a second factor ends the user's other sessions, under its own reason.
ALTER TABLE sessions
  DROP CONSTRAINT sessions_revoked_reason_check,
  ADD CONSTRAINT sessions_revoked_reason_check CHECK (
    revoked_reason IN ('logout', 'sign_out_everywhere', 'administrator', 'refresh_reuse',
                       'password_changed', 'mfa_removed', 'user_suspended', 'user_deprovisioned')
  );

-- Consecutive locks of one key. Each lock lasts twice as long as the one
-- before, up to p_max_lock_seconds, so someone who knows the password
-- cannot go on guessing second-factor codes at the same rate forever. A
-- success clears the count for an account, and so does a day without attempts.
ALTER TABLE login_throttles
  ADD COLUMN lockouts integer NOT NULL DEFAULT 0 CHECK (lockouts >= 0);

DROP FUNCTION login_attempt_begin(text, text, integer, integer, integer, integer, integer);

CREATE FUNCTION login_attempt_begin(
  p_scope text,
  p_key text,
  p_free_failures integer,
  p_max_delay_seconds integer,
  p_lock_after integer,
  p_lock_seconds integer,
  p_max_lock_seconds integer,
  p_window_seconds integer
) RETURNS TABLE (allowed boolean, retry_after_seconds integer, failures integer, locked boolean)
LANGUAGE plpgsql AS $$
DECLARE
  r login_throttles;
  delay_seconds integer;
  lock_seconds integer;
  wait_until timestamptz;
BEGIN
  INSERT INTO login_throttles AS t (scope, key, failures, last_attempt_at)
  VALUES (p_scope, p_key, 0, now())
  ON CONFLICT (scope, key) DO NOTHING;

  SELECT * INTO r FROM login_throttles t WHERE t.scope = p_scope AND t.key = p_key FOR UPDATE;

  IF r.locked_until IS NOT NULL AND r.locked_until > now() THEN
    RETURN QUERY SELECT false, ceil(extract(epoch FROM r.locked_until - now()))::integer, r.failures, true;
    RETURN;
  END IF;

  IF r.last_attempt_at < now() - make_interval(secs => p_window_seconds)
     OR (r.locked_until IS NOT NULL AND r.locked_until <= now()) THEN
    r.failures := 0;
  END IF;
  IF r.last_attempt_at < now() - interval '1 day' THEN
    r.lockouts := 0;
  END IF;

  IF r.failures >= p_free_failures THEN
    delay_seconds := least(p_max_delay_seconds, (2 ^ least(r.failures - p_free_failures, 20))::integer);
    wait_until := r.last_attempt_at + make_interval(secs => delay_seconds);
    IF wait_until > now() THEN
      RETURN QUERY SELECT false, greatest(1, ceil(extract(epoch FROM wait_until - now()))::integer), r.failures, false;
      RETURN;
    END IF;
  END IF;

  r.failures := r.failures + 1;
  IF r.failures >= p_lock_after THEN
    lock_seconds := least(p_max_lock_seconds, p_lock_seconds * (2 ^ least(r.lockouts, 20))::integer);
    UPDATE login_throttles t
       SET failures = r.failures,
           last_attempt_at = now(),
           locked_until = now() + make_interval(secs => lock_seconds),
           lockouts = r.lockouts + 1
     WHERE t.scope = p_scope AND t.key = p_key;
  ELSE
    UPDATE login_throttles t
       SET failures = r.failures,
           last_attempt_at = now(),
           locked_until = NULL,
           lockouts = r.lockouts
     WHERE t.scope = p_scope AND t.key = p_key;
  END IF;

  RETURN QUERY SELECT true, 0, r.failures, r.failures >= p_lock_after;
END;
$$;

CREATE OR REPLACE FUNCTION login_attempt_succeeded(p_scope text, p_key text) RETURNS void
LANGUAGE sql AS $$
  UPDATE login_throttles
     SET failures = CASE WHEN p_scope = 'account' THEN 0 ELSE greatest(failures - 1, 0) END,
         lockouts = CASE WHEN p_scope = 'account' THEN 0 ELSE lockouts END,
         locked_until = NULL
   WHERE scope = p_scope AND key = p_key;
$$;

GRANT EXECUTE ON FUNCTION
  login_attempt_begin(text, text, integer, integer, integer, integer, integer, integer)
  TO peytonix_app;

-- Housekeeping removes throttle rows and sign-in challenges that no longer matter.
GRANT DELETE ON login_throttles TO peytonix_app;
