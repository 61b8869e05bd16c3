-- Role grants. A grant of a role on an entity covers that entity and every
-- entity below it in entity_closure.

CREATE TABLE role_grants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('read_only', 'preparer', 'reviewer', 'management', 'administrator')),
  entity_id uuid NOT NULL REFERENCES entities (id) ON DELETE RESTRICT,
  granted_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, role, entity_id)
);
CREATE INDEX role_grants_entity_idx ON role_grants (entity_id);

GRANT SELECT, INSERT, DELETE ON role_grants TO peytonix_app;
