-- Platform privileges.
--
-- Runs as the owner role, which owns every object these migrations create.
-- The application role peytonix_app logs in at run time and has no DDL
-- rights: it may not create objects in any schema, create temporary tables,
-- or alter or drop anything it does not own, and it owns nothing. Each later
-- migration grants it exactly the DML it needs, table by table.

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO peytonix_app;

DO $$
BEGIN
  EXECUTE format('REVOKE CREATE, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('REVOKE CREATE, TEMPORARY ON DATABASE %I FROM peytonix_app', current_database());
END
$$;

-- The server reads the migration history to report readiness.
GRANT SELECT ON peytonix_migrations TO peytonix_app;
