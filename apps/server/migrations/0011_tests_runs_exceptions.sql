-- Test definitions, runs and exceptions.
--
-- A test belongs to an entity and has numbered versions. A version's
-- content (SQL, inputs, parameters, key columns) never changes once
-- written; only its state moves, from draft through review to active, and
-- exactly one version of a test is active at a time. A run records exactly
-- what it executed on exactly which dataset versions, and the rows it
-- flags become exceptions that carry over from run to run by the hash of
-- their key columns.

CREATE TABLE test_definitions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE RESTRICT,
  key text NOT NULL CHECK (key ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  -- The library template this test was created from, if any.
  template_key text CHECK (template_key ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  owner_id uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  latest_version integer NOT NULL DEFAULT 0 CHECK (latest_version >= 0),
  -- Runs of a test are numbered 1, 2, 3 …; raised under a row lock.
  latest_run_number integer NOT NULL DEFAULT 0 CHECK (latest_run_number >= 0),
  UNIQUE (entity_id, key)
);

CREATE TABLE test_versions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  test_id uuid NOT NULL REFERENCES test_definitions (id) ON DELETE RESTRICT,
  version integer NOT NULL CHECK (version >= 1),
  state text NOT NULL CHECK (
    state IN ('draft', 'submitted', 'approved', 'rejected', 'active', 'superseded')
  ),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
  control_reference text CHECK (length(control_reference) <= 200),
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  sql text NOT NULL CHECK (length(sql) BETWEEN 1 AND 100000),
  summary_sql text CHECK (length(summary_sql) <= 100000),
  -- [{ name, description, fields: [{ name, type, required }] }]
  inputs jsonb NOT NULL CHECK (jsonb_typeof(inputs) = 'array'),
  -- [{ name, type, default, description }]
  parameters jsonb NOT NULL CHECK (jsonb_typeof(parameters) = 'array'),
  key_columns text[] NOT NULL CHECK (cardinality(key_columns) BETWEEN 1 AND 32),
  schedule text CHECK (length(schedule) <= 100),
  created_by uuid NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Who moved it out of draft, and who approved or rejected it.
  submitted_by uuid REFERENCES users (id),
  submitted_at timestamptz,
  decided_by uuid REFERENCES users (id),
  decided_at timestamptz,
  decision_note text CHECK (length(decision_note) <= 2000),
  UNIQUE (test_id, version)
);
CREATE UNIQUE INDEX test_versions_one_active ON test_versions (test_id) WHERE state = 'active';

-- Content columns are frozen; only the state and the review columns change.
CREATE FUNCTION test_versions_freeze_content() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.test_id, NEW.version, NEW.name, NEW.description, NEW.control_reference, NEW.severity,
      NEW.sql, NEW.summary_sql, NEW.inputs, NEW.parameters, NEW.key_columns, NEW.schedule,
      NEW.created_by, NEW.created_at)
     IS DISTINCT FROM
     (OLD.test_id, OLD.version, OLD.name, OLD.description, OLD.control_reference, OLD.severity,
      OLD.sql, OLD.summary_sql, OLD.inputs, OLD.parameters, OLD.key_columns, OLD.schedule,
      OLD.created_by, OLD.created_at) THEN
    RAISE EXCEPTION 'test version % content is immutable; draft a new version', OLD.id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;

CREATE TRIGGER test_versions_freeze_content
BEFORE UPDATE ON test_versions
FOR EACH ROW EXECUTE FUNCTION test_versions_freeze_content();

CREATE TRIGGER test_versions_no_delete
BEFORE DELETE OR TRUNCATE ON test_versions
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();

CREATE TABLE runs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  test_id uuid NOT NULL REFERENCES test_definitions (id) ON DELETE RESTRICT,
  test_version_id uuid NOT NULL REFERENCES test_versions (id) ON DELETE RESTRICT,
  -- Previews run drafts; their rows are kept apart and never become exceptions.
  preview boolean NOT NULL,
  -- 1, 2, 3 … per test for real runs; null for previews.
  run_number integer CHECK (run_number >= 1),
  status text NOT NULL CHECK (
    status IN ('queued', 'running', 'succeeded', 'failed', 'timed_out', 'cancelled')
  ),
  requested_by uuid NOT NULL REFERENCES users (id),
  requested_via text NOT NULL CHECK (requested_via IN ('api', 'cli', 'schedule', 'reperform')),
  -- The run whose SQL and inputs this one repeats, for re-performance.
  reperforms_run_id uuid REFERENCES runs (id),
  requested_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  sql_executed text NOT NULL,
  summary_sql_executed text,
  -- [{ name, type, value }] as bound
  parameters jsonb NOT NULL,
  -- [{ name, datasetId, datasetVersionId, version, rawSha256, parquetSha256, rowCount, fields }]
  inputs jsonb NOT NULL,
  key_columns text[] NOT NULL,
  duckdb_version text,
  input_row_counts jsonb,
  exception_count bigint CHECK (exception_count >= 0),
  result_hash bytea CHECK (octet_length(result_hash) = 32),
  summary jsonb,
  error_code text,
  error_message text CHECK (length(error_message) <= 4000),
  CHECK ((run_number IS NULL) = preview),
  UNIQUE (test_id, run_number)
);
CREATE INDEX runs_test_idx ON runs (test_id, requested_at DESC);

-- One row per distinct exception of a test, identified by the hash of its
-- key columns. It is never deleted: a key that disappears is closed with
-- the run that no longer found it.
CREATE TABLE exceptions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  test_id uuid NOT NULL REFERENCES test_definitions (id) ON DELETE RESTRICT,
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE RESTRICT,
  key_hash bytea NOT NULL CHECK (octet_length(key_hash) = 32),
  key_values jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'closed')),
  payload jsonb NOT NULL,
  first_run_id uuid NOT NULL REFERENCES runs (id),
  last_run_id uuid NOT NULL REFERENCES runs (id),
  closed_run_id uuid REFERENCES runs (id),
  closed_reason text CHECK (length(closed_reason) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (test_id, key_hash),
  CHECK ((status = 'closed') = (closed_run_id IS NOT NULL OR closed_reason IS NOT NULL))
);
CREATE INDEX exceptions_open_idx ON exceptions (test_id) WHERE status = 'open';

-- What each run found: every exception it flagged, new or recurring, with
-- the row as that run saw it.
CREATE TABLE run_exceptions (
  run_id uuid NOT NULL REFERENCES runs (id) ON DELETE RESTRICT,
  exception_id uuid NOT NULL REFERENCES exceptions (id) ON DELETE RESTRICT,
  occurrence text NOT NULL CHECK (occurrence IN ('new', 'recurring', 'reopened')),
  payload jsonb NOT NULL,
  PRIMARY KEY (run_id, exception_id)
);
CREATE INDEX run_exceptions_exception_idx ON run_exceptions (exception_id);

-- The rows of preview runs, kept apart from exceptions.
CREATE TABLE preview_rows (
  run_id uuid NOT NULL REFERENCES runs (id) ON DELETE RESTRICT,
  row_number integer NOT NULL CHECK (row_number >= 1),
  payload jsonb NOT NULL,
  PRIMARY KEY (run_id, row_number)
);

CREATE TRIGGER run_exceptions_no_update_delete
BEFORE UPDATE OR DELETE ON run_exceptions
FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();

CREATE TRIGGER preview_rows_no_update_delete
BEFORE UPDATE OR DELETE ON preview_rows
FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();

GRANT SELECT, INSERT ON test_definitions TO peytonix_app;
GRANT UPDATE (owner_id, latest_version, latest_run_number) ON test_definitions TO peytonix_app;
GRANT SELECT, INSERT ON test_versions TO peytonix_app;
GRANT UPDATE (state, submitted_by, submitted_at, decided_by, decided_at, decision_note)
  ON test_versions TO peytonix_app;
GRANT SELECT, INSERT ON runs TO peytonix_app;
GRANT UPDATE (status, started_at, finished_at, duckdb_version, input_row_counts, exception_count,
              result_hash, summary, error_code, error_message)
  ON runs TO peytonix_app;
GRANT SELECT, INSERT ON exceptions TO peytonix_app;
GRANT UPDATE (status, payload, last_run_id, closed_run_id, closed_reason, updated_at)
  ON exceptions TO peytonix_app;
GRANT SELECT, INSERT ON run_exceptions TO peytonix_app;
GRANT SELECT, INSERT ON preview_rows TO peytonix_app;
