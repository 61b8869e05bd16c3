-- What an import changed or assumed without failing, kept on the version:
-- an unnamed column named by position, an ignored option, a decoding
-- choice. A reviewer of a run needs them as much as the importer did.
ALTER TABLE dataset_versions
  ADD COLUMN import_warnings jsonb NOT NULL DEFAULT '[]'
  CHECK (jsonb_typeof(import_warnings) = 'array');
