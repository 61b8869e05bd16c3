-- Credentials, second factors, sessions and API tokens.
--
-- Secrets that the server must read back (TOTP seeds, the private halves of
-- session signing keys) are stored sealed: AES-256-GCM under a per-value
-- data key that the configured key provider (a local master key or AWS KMS)
-- wraps. Secrets that only need comparing (refresh tokens, API tokens,
-- recovery codes, CSRF tokens, MFA challenge tokens) are stored as SHA-256
-- of 256 random bits or more, which is enough to make a copy of the table
-- useless. Passwords are stored as argon2id PHC strings.

-- A failed or throttled sign-in has no authenticated principal, so the
-- audit trail records it under the anonymous actor type.
ALTER TABLE audit_events
  DROP CONSTRAINT audit_events_actor_type_check,
  ADD CONSTRAINT audit_events_actor_type_check
    CHECK (actor_type IN ('user', 'system', 'scim', 'ai', 'anonymous'));
ALTER TABLE audit_pending
  DROP CONSTRAINT audit_pending_actor_type_check,
  ADD CONSTRAINT audit_pending_actor_type_check
    CHECK (actor_type IN ('user', 'system', 'scim', 'ai', 'anonymous'));

-- Bumped whenever the user's role grants change, so a session can tell that
-- the permissions it cached are stale. Runs as the owner so the application
-- role needs no UPDATE on the column.
ALTER TABLE users ADD COLUMN grants_version bigint NOT NULL DEFAULT 1;

CREATE FUNCTION role_grants_bump_version() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  UPDATE public.users
     SET grants_version = grants_version + 1
   WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END;
  RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION role_grants_bump_version() FROM PUBLIC;

CREATE TRIGGER role_grants_bump_version
AFTER INSERT OR DELETE OR UPDATE ON role_grants
FOR EACH ROW EXECUTE FUNCTION role_grants_bump_version();

CREATE TABLE password_credentials (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  password_hash text NOT NULL CHECK (
    password_hash LIKE '$argon2id$%' AND length(password_hash) <= 512
  ),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One TOTP seed per user. confirmed_at is null while enrolment waits for
-- the first valid code. last_used_step makes each time step usable once:
-- a code is accepted only by an UPDATE that moves it forward, so a replay
-- fails on every server instance.
CREATE TABLE totp_credentials (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret_sealed bytea NOT NULL CHECK (octet_length(secret_sealed) BETWEEN 16 AND 4096),
  confirmed_at timestamptz,
  last_used_step bigint CHECK (last_used_step >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE recovery_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_sha256 bytea NOT NULL CHECK (octet_length(code_sha256) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz,
  UNIQUE (user_id, code_sha256)
);

CREATE TABLE passkey_credentials (
  -- PostgreSQL regular expressions allow bounds up to 255 only, so the
  -- length is checked apart from the alphabet.
  credential_id text PRIMARY KEY CHECK (
    credential_id ~ '^[A-Za-z0-9_-]+$' AND length(credential_id) BETWEEN 16 AND 1366
  ),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  public_key bytea NOT NULL CHECK (octet_length(public_key) BETWEEN 16 AND 4096),
  sign_count bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
  transports text[] NOT NULL DEFAULT '{}',
  device_type text NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
  backed_up boolean NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX passkey_credentials_user_idx ON passkey_credentials (user_id);

-- A WebAuthn challenge, usable once and briefly, for registering a passkey
-- or for asserting one at sign-in.
CREATE TABLE webauthn_challenges (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('registration', 'authentication')),
  challenge text NOT NULL CHECK (challenge ~ '^[A-Za-z0-9_-]{16,128}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX webauthn_challenges_user_idx ON webauthn_challenges (user_id);

-- The state between a correct password and a verified second factor. The
-- token is handed to the client once; only its hash is kept.
CREATE TABLE mfa_challenges (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_sha256 bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  completed_at timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX mfa_challenges_user_idx ON mfa_challenges (user_id);

-- A sign-in. A session is one refresh-token family: revoking it ends every
-- token in the family, and the access tokens that name it stop working on
-- their next request, because every request reads this row.
CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- full: every route the user's grants allow. enrolment_only: the user
  -- must enrol a second factor before anything else.
  assurance text NOT NULL CHECK (assurance IN ('full', 'enrolment_only')),
  auth_methods text[] NOT NULL CHECK (
    auth_methods <@ ARRAY['password', 'totp', 'passkey', 'recovery_code']::text[]
  ),
  csrf_sha256 bytea NOT NULL CHECK (octet_length(csrf_sha256) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  ip_address text CHECK (length(ip_address) <= 64),
  user_agent text CHECK (length(user_agent) <= 512),
  revoked_at timestamptz,
  revoked_reason text CHECK (
    revoked_reason IN ('logout', 'sign_out_everywhere', 'administrator', 'refresh_reuse',
                       'password_changed', 'user_suspended', 'user_deprovisioned')
  ),
  CHECK (expires_at > created_at),
  CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
);
CREATE INDEX sessions_user_live_idx ON sessions (user_id) WHERE revoked_at IS NULL;

-- Refresh tokens, one live token per session at a time. Rotation marks the
-- presented token rotated and inserts its successor; presenting a rotated
-- token again is reuse, and revokes the session.
CREATE TABLE refresh_tokens (
  token_sha256 bytea PRIMARY KEY CHECK (octet_length(token_sha256) = 32),
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  rotated_at timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- Personal API tokens. Each names the permissions it carries; the token's
-- holder never gets more than both the token and the user's grants allow.
CREATE TABLE api_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_sha256 bytea NOT NULL UNIQUE CHECK (octet_length(token_sha256) = 32),
  permissions text[] NOT NULL CHECK (cardinality(permissions) BETWEEN 1 AND 100),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Failed sign-ins per account (the normalized email, whether or not such a
-- user exists) and per client network. See login_attempt_begin.
CREATE TABLE login_throttles (
  scope text NOT NULL CHECK (scope IN ('account', 'network')),
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 320),
  failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  last_attempt_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  PRIMARY KEY (scope, key)
);

-- Begin one sign-in attempt for (scope, key). It counts the attempt as a
-- failure before the password is checked, so parallel guesses each see the
-- count of the ones before them, and login_attempt_succeeded takes it back.
-- Returns whether the attempt may go ahead and, when not, how long to wait.
-- Failures older than p_window are forgotten.
CREATE FUNCTION login_attempt_begin(
  p_scope text,
  p_key text,
  p_free_failures integer,
  p_max_delay_seconds integer,
  p_lock_after integer,
  p_lock_seconds integer,
  p_window_seconds integer
) RETURNS TABLE (allowed boolean, retry_after_seconds integer, failures integer, locked boolean)
LANGUAGE plpgsql AS $$
DECLARE
  r login_throttles;
  delay_seconds integer;
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

  IF r.failures >= p_free_failures THEN
    delay_seconds := least(p_max_delay_seconds, (2 ^ least(r.failures - p_free_failures, 20))::integer);
    wait_until := r.last_attempt_at + make_interval(secs => delay_seconds);
    IF wait_until > now() THEN
      RETURN QUERY SELECT false, greatest(1, ceil(extract(epoch FROM wait_until - now()))::integer), r.failures, false;
      RETURN;
    END IF;
  END IF;

  r.failures := r.failures + 1;
  UPDATE login_throttles t
     SET failures = r.failures,
         last_attempt_at = now(),
         locked_until = CASE WHEN r.failures >= p_lock_after
                             THEN now() + make_interval(secs => p_lock_seconds) END
   WHERE t.scope = p_scope AND t.key = p_key;

  RETURN QUERY SELECT true, 0, r.failures, r.failures >= p_lock_after;
END;
$$;

-- Take back the failure that login_attempt_begin counted in advance. The
-- account's count starts again; the network's count only drops by one, so
-- one good password does not wipe out a spray of guesses from the same place.
CREATE FUNCTION login_attempt_succeeded(p_scope text, p_key text) RETURNS void
LANGUAGE sql AS $$
  UPDATE login_throttles
     SET failures = CASE WHEN p_scope = 'account' THEN 0 ELSE greatest(failures - 1, 0) END,
         locked_until = NULL
   WHERE scope = p_scope AND key = p_key;
$$;

-- Ed25519 keys that sign access tokens. The newest row signs; older rows
-- still verify tokens until the token lifetime after they were superseded.
-- Rows are never changed, so a key cannot be swapped under live tokens.
CREATE TABLE session_signing_keys (
  kid text PRIMARY KEY CHECK (kid ~ '^[A-Za-z0-9_-]{16,64}$'),
  algorithm text NOT NULL CHECK (algorithm = 'EdDSA'),
  public_key_pem text NOT NULL CHECK (length(public_key_pem) < 1024),
  private_key_sealed bytea NOT NULL CHECK (octet_length(private_key_sealed) BETWEEN 16 AND 8192),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TRIGGER session_signing_keys_no_update_delete
BEFORE UPDATE OR DELETE ON session_signing_keys
FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();

CREATE TRIGGER session_signing_keys_no_truncate
BEFORE TRUNCATE ON session_signing_keys
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();

GRANT SELECT, INSERT, UPDATE (password_hash, updated_at) ON password_credentials TO peytonix_app;
GRANT SELECT, INSERT, DELETE ON totp_credentials TO peytonix_app;
GRANT UPDATE (confirmed_at, last_used_step) ON totp_credentials TO peytonix_app;
GRANT SELECT, INSERT, DELETE ON recovery_codes TO peytonix_app;
GRANT UPDATE (used_at) ON recovery_codes TO peytonix_app;
GRANT SELECT, INSERT, DELETE ON passkey_credentials TO peytonix_app;
GRANT UPDATE (sign_count, last_used_at, backed_up) ON passkey_credentials TO peytonix_app;
GRANT SELECT, INSERT, DELETE ON webauthn_challenges TO peytonix_app;
GRANT UPDATE (used_at) ON webauthn_challenges TO peytonix_app;
GRANT SELECT, INSERT, DELETE ON mfa_challenges TO peytonix_app;
GRANT UPDATE (failed_attempts, completed_at) ON mfa_challenges TO peytonix_app;
GRANT SELECT, INSERT ON sessions TO peytonix_app;
GRANT UPDATE (assurance, auth_methods, last_seen_at, revoked_at, revoked_reason) ON sessions TO peytonix_app;
GRANT SELECT, INSERT ON refresh_tokens TO peytonix_app;
GRANT UPDATE (rotated_at) ON refresh_tokens TO peytonix_app;
GRANT SELECT, INSERT ON api_tokens TO peytonix_app;
GRANT UPDATE (last_used_at, revoked_at) ON api_tokens TO peytonix_app;
GRANT SELECT, INSERT, UPDATE ON login_throttles TO peytonix_app;
GRANT EXECUTE ON FUNCTION login_attempt_begin(text, text, integer, integer, integer, integer, integer) TO peytonix_app;
GRANT EXECUTE ON FUNCTION login_attempt_succeeded(text, text) TO peytonix_app;
GRANT SELECT, INSERT ON session_signing_keys TO peytonix_app;
