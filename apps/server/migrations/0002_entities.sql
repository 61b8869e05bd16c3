-- The entity tree: one organization root, then business units, subsidiaries
-- and audit engagements, nested to any depth. Every scoped record points at
-- an entity, and a grant on an entity covers its whole subtree.
--
-- entity_closure holds one row per (ancestor, descendant) pair, including
-- each entity with itself at depth 0, so "this entity and everything below
-- it" is one index range scan on (ancestor_id). Triggers owned by the owner
-- role keep it in step with entities.parent_id; the application role may
-- only read it.

CREATE TABLE entities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  parent_id uuid REFERENCES entities (id) ON DELETE RESTRICT,
  type text NOT NULL CHECK (type IN ('organization', 'business_unit', 'subsidiary', 'engagement')),
  code text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  name text NOT NULL CHECK (name = btrim(name) AND length(name) BETWEEN 1 AND 200),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT entities_root_is_organization CHECK ((type = 'organization') = (parent_id IS NULL)),
  CONSTRAINT entities_not_own_parent CHECK (parent_id <> id)
);

-- At most one root.
CREATE UNIQUE INDEX entities_single_root ON entities ((true)) WHERE parent_id IS NULL;
CREATE UNIQUE INDEX entities_code_unique ON entities (lower(code));
CREATE INDEX entities_parent_id_idx ON entities (parent_id);

CREATE TABLE entity_closure (
  ancestor_id uuid NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
  descendant_id uuid NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
  depth integer NOT NULL CHECK (depth >= 0),
  PRIMARY KEY (ancestor_id, descendant_id)
);
CREATE INDEX entity_closure_descendant_idx ON entity_closure (descendant_id, ancestor_id);

CREATE FUNCTION entities_closure_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  INSERT INTO entity_closure (ancestor_id, descendant_id, depth)
  VALUES (NEW.id, NEW.id, 0);

  IF NEW.parent_id IS NOT NULL THEN
    INSERT INTO entity_closure (ancestor_id, descendant_id, depth)
    SELECT ancestor_id, NEW.id, depth + 1
    FROM entity_closure
    WHERE descendant_id = NEW.parent_id;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER entities_closure_insert
AFTER INSERT ON entities
FOR EACH ROW EXECUTE FUNCTION entities_closure_insert();

-- Moving an entity moves its subtree: the paths from the old ancestors to
-- every node of the subtree are replaced by paths from the new ones.
CREATE FUNCTION entities_closure_move() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF NEW.parent_id IS NOT DISTINCT FROM OLD.parent_id THEN
    RETURN NULL;
  END IF;

  -- Serialize moves, so two concurrent moves (A under B, B under A) cannot
  -- both pass the cycle check against a closure the other is changing.
  PERFORM pg_advisory_xact_lock(hashtext('peytonix.entity_closure.move'));

  IF EXISTS (
    SELECT 1 FROM entity_closure
    WHERE ancestor_id = NEW.id AND descendant_id = NEW.parent_id
  ) THEN
    RAISE EXCEPTION 'entity % cannot move below its own descendant %', NEW.id, NEW.parent_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'entities_no_cycle';
  END IF;

  DELETE FROM entity_closure AS path
  USING entity_closure AS subtree, entity_closure AS above
  WHERE subtree.ancestor_id = NEW.id
    AND path.descendant_id = subtree.descendant_id
    AND above.descendant_id = NEW.id
    AND above.ancestor_id <> NEW.id
    AND path.ancestor_id = above.ancestor_id;

  INSERT INTO entity_closure (ancestor_id, descendant_id, depth)
  SELECT above.ancestor_id, subtree.descendant_id, above.depth + subtree.depth + 1
  FROM entity_closure AS above
  CROSS JOIN entity_closure AS subtree
  WHERE above.descendant_id = NEW.parent_id
    AND subtree.ancestor_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER entities_closure_move
AFTER UPDATE OF parent_id ON entities
FOR EACH ROW EXECUTE FUNCTION entities_closure_move();

REVOKE ALL ON FUNCTION entities_closure_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION entities_closure_move() FROM PUBLIC;

-- Entities are archived, never deleted, so the application gets no DELETE.
GRANT SELECT, INSERT ON entities TO peytonix_app;
GRANT UPDATE (parent_id, name, status, updated_at) ON entities TO peytonix_app;
GRANT SELECT ON entity_closure TO peytonix_app;
