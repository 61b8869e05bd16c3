-- Datasets: named extracts that belong to an entity, each imported as a
-- series of immutable versions. A version records the raw file and its
-- normalized Parquet copy (both in object storage), their SHA-256
-- fingerprints, the column schema, the row count and the parse options that
-- produced it, so a run can name exactly the data it read.

CREATE TABLE datasets (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE RESTRICT,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Highest version number issued; raised under a row lock, so concurrent
  -- imports into one dataset get consecutive numbers.
  latest_version integer NOT NULL DEFAULT 0 CHECK (latest_version >= 0)
);
CREATE UNIQUE INDEX datasets_entity_name_unique ON datasets (entity_id, lower(name));

CREATE TABLE dataset_versions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  dataset_id uuid NOT NULL REFERENCES datasets (id) ON DELETE RESTRICT,
  version integer NOT NULL CHECK (version >= 1),
  source_file_name text NOT NULL CHECK (length(source_file_name) BETWEEN 1 AND 255),
  source_format text NOT NULL CHECK (source_format IN ('csv', 'tsv', 'parquet', 'jsonl', 'xlsx')),
  parse_options jsonb NOT NULL,
  raw_object_key text NOT NULL,
  raw_sha256 bytea NOT NULL CHECK (octet_length(raw_sha256) = 32),
  raw_size bigint NOT NULL CHECK (raw_size >= 0),
  parquet_object_key text NOT NULL,
  parquet_sha256 bytea NOT NULL CHECK (octet_length(parquet_sha256) = 32),
  parquet_size bigint NOT NULL CHECK (parquet_size > 0),
  columns jsonb NOT NULL CHECK (jsonb_typeof(columns) = 'array'),
  row_count bigint NOT NULL CHECK (row_count >= 0),
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (dataset_id, version)
);

-- A version is evidence of what a run read: it never changes.
CREATE TRIGGER dataset_versions_no_update_delete
BEFORE UPDATE OR DELETE ON dataset_versions
FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();

CREATE TRIGGER dataset_versions_no_truncate
BEFORE TRUNCATE ON dataset_versions
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();

GRANT SELECT, INSERT ON datasets TO peytonix_app;
GRANT UPDATE (name, description, latest_version) ON datasets TO peytonix_app;
GRANT SELECT, INSERT ON dataset_versions TO peytonix_app;
