-- Keys that Peytonix generates itself and keeps only in encrypted form.
--
-- With PEYTONIX_KEYS=kms, the private half of a key (such as the Ed25519
-- key that signs audit checkpoints) is encrypted with AWS KMS under
-- wrapping_key_id and an encryption context that names the key, so every
-- server instance can use the same key and none of them stores it in plain
-- form. public_key_pem lets an instance check, after decrypting, that the
-- row still belongs to the decrypted key.
--
-- Rows are never changed: a trigger rejects UPDATE, DELETE and TRUNCATE
-- for every role, the table owner included, so a key cannot be swapped
-- under the checkpoints it signed.

CREATE TABLE wrapped_keys (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{0,62}$'),
  algorithm text NOT NULL CHECK (algorithm IN ('Ed25519')),
  provider text NOT NULL CHECK (provider IN ('kms')),
  wrapping_key_id text NOT NULL,
  ciphertext bytea NOT NULL CHECK (octet_length(ciphertext) BETWEEN 1 AND 6144),
  public_key_pem text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER wrapped_keys_no_update_delete
BEFORE UPDATE OR DELETE ON wrapped_keys
FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();

CREATE TRIGGER wrapped_keys_no_truncate
BEFORE TRUNCATE ON wrapped_keys
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();

GRANT SELECT, INSERT ON wrapped_keys TO peytonix_app;
