-- Browser uploads of dataset files. The browser puts the file straight
-- into object storage under a key the server chose, as for evidence; the
-- server then previews the import (first rows and inferred types) as
-- often as the user adjusts the parse options, and imports it once. The
-- staged object is deleted after the import.

CREATE TABLE dataset_uploads (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE RESTRICT,
  dataset_name text NOT NULL CHECK (length(dataset_name) BETWEEN 1 AND 200),
  file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
  declared_size bigint NOT NULL CHECK (declared_size >= 0),
  declared_sha256 bytea NOT NULL CHECK (octet_length(declared_sha256) = 32),
  -- Chosen by the server from random ids; no user input is part of it.
  object_key text NOT NULL UNIQUE CHECK (object_key ~ '^dataset-uploads/[0-9a-f-]{36}/[0-9a-f]{32}$'),
  declared_by uuid NOT NULL REFERENCES users (id),
  declared_at timestamptz NOT NULL DEFAULT now(),
  upload_expires_at timestamptz NOT NULL,
  imported_version_id uuid REFERENCES dataset_versions (id),
  imported_at timestamptz,
  CHECK ((imported_version_id IS NULL) = (imported_at IS NULL))
);
CREATE INDEX dataset_uploads_entity_idx ON dataset_uploads (entity_id, declared_at);

ALTER TABLE dataset_uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataset_uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY dataset_uploads_scope ON dataset_uploads TO peytonix_app
  USING (entity_id IN (SELECT peytonix_actor_entities()))
  WITH CHECK (entity_id IN (SELECT peytonix_actor_entities()));

GRANT SELECT, INSERT ON dataset_uploads TO peytonix_app;
GRANT UPDATE (imported_version_id, imported_at) ON dataset_uploads TO peytonix_app;
