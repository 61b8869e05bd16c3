-- Users and the external identities that single sign-on and SCIM fill in.
-- There are no default accounts: the first administrator comes from
-- `peytonix admin create`, which stores only the hash of a one-time setup
-- secret.

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (
    email = btrim(email) AND length(email) BETWEEN 3 AND 320 AND position('@' IN email) > 1
  ),
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deprovisioned')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));

-- One row per (issuer, subject) that an identity provider asserts for a user.
CREATE TABLE user_external_identities (
  issuer text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 2048),
  subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 1024),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  source text NOT NULL CHECK (source IN ('oidc', 'saml', 'scim')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_external_identities_user_idx ON user_external_identities (user_id);

-- One-time secrets that let a new user set their first credential. The
-- secret is 256 random bits, so an unsalted SHA-256 is enough to make the
-- stored value useless to a reader of the table.
CREATE TABLE user_setup_secrets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  secret_sha256 bytea NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX user_setup_secrets_user_idx ON user_setup_secrets (user_id);

GRANT SELECT, INSERT ON users TO peytonix_app;
GRANT UPDATE (display_name, status, updated_at, last_login_at) ON users TO peytonix_app;
GRANT SELECT, INSERT, DELETE ON user_external_identities TO peytonix_app;
GRANT SELECT, INSERT ON user_setup_secrets TO peytonix_app;
GRANT UPDATE (used_at) ON user_setup_secrets TO peytonix_app;
